package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ExampleModelsTest {
  private static double dot(float[] a, float[] b) {
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += a[i] * b[i];
    }
    return sum;
  }

  @Test
  void hashingEmbedder_unitLengthAndSimilarTextsCloser() {
    float[] cat = HashingEmbedderApi.embedText("The cat sat on the mat");
    float[] cat2 = HashingEmbedderApi.embedText("a cat sat on a mat");
    float[] physics = HashingEmbedderApi.embedText("quantum chromodynamics");
    assertEquals(HashingEmbedderApi.DIMENSIONS, cat.length);
    assertEquals(1.0, dot(cat, cat), 1e-5);
    assertEquals(1.0, dot(physics, physics), 1e-5);
    assertTrue(
        dot(cat, cat2) > dot(cat, physics) + 0.2, dot(cat, cat2) + " vs " + dot(cat, physics));
    assertEquals(1.0, dot(cat, HashingEmbedderApi.embedText("THE CAT SAT ON THE MAT")), 1e-6,
        "case does not matter");
  }

  @Test
  void charNgram_greedyFollowsTheTrainingText() {
    CharNgram model = CharNgram.train("abcabcabd", 3);
    assertEquals(4, model.alphabetSize());
    SplittableRandom random = new SplittableRandom(1);
    // after "ab" the text has c twice and d once; after "bc", a always
    assertEquals('c', model.next("xab", 0, 1, random));
    assertEquals('a', model.next("bc", 0, 1, random));
    // an unseen context backs off to shorter ones: after "b" alone, c is likeliest
    assertEquals('c', model.next("zzb", 0, 1, random));
  }

  @Test
  void charNgram_samplesOnlyWhatFollowedTheContext() {
    CharNgram model = CharNgram.train("abcabcabd", 3);
    SplittableRandom random = new SplittableRandom(7);
    int c = 0;
    int d = 0;
    for (int i = 0; i < 3000; i++) {
      char next = model.next("ab", 1, 1, random);
      assertTrue(next == 'c' || next == 'd', "sampled " + next);
      if (next == 'c') {
        c++;
      } else {
        d++;
      }
    }
    assertEquals(2.0, (double) c / d, 0.3, "c follows ab twice as often as d");
    // top_p 0.5 keeps only the likeliest
    for (int i = 0; i < 100; i++) {
      assertEquals('c', model.next("ab", 1, 0.5, random));
    }
  }

  @Test
  void charNgram_sameSeedSameText() throws Exception {
    CharNgram model = CharNgram.train(CharLmApi.corpus(), 6);
    StringBuilder a = new StringBuilder("The sea ");
    StringBuilder b = new StringBuilder("The sea ");
    SplittableRandom ra = new SplittableRandom(3);
    SplittableRandom rb = new SplittableRandom(3);
    for (int i = 0; i < 200; i++) {
      a.append(model.next(a, 1, 1, ra));
      b.append(model.next(b, 1, 1, rb));
    }
    assertEquals(a.toString(), b.toString());
  }
}
