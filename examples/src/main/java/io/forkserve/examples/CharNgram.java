package io.forkserve.examples;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A character-level n-gram language model: counts of the character that follows each context of
 * up to {@code order - 1} characters in a training text, and sampling from those counts, backing
 * off to a shorter context when a longer one was never seen. Immutable once trained; {@link
 * #next} may be called from any thread.
 */
final class CharNgram {
  private final int order;
  private final char[] alphabet;
  private final Map<String, int[]> counts = new HashMap<>();

  private CharNgram(int order, char[] alphabet) {
    this.order = order;
    this.alphabet = alphabet;
  }

  /** Trains on {@code text} with contexts of up to {@code order - 1} characters. */
  static CharNgram train(String text, int order) {
    char[] alphabet =
        text.chars()
            .distinct()
            .sorted()
            .collect(StringBuilder::new, (b, c) -> b.append((char) c), StringBuilder::append)
            .toString()
            .toCharArray();
    CharNgram model = new CharNgram(order, alphabet);
    for (int i = 0; i < text.length(); i++) {
      int next = Arrays.binarySearch(alphabet, text.charAt(i));
      for (int k = 0; k < order && k <= i; k++) {
        model.counts
            .computeIfAbsent(text.substring(i - k, i), c -> new int[alphabet.length])[next]++;
      }
    }
    return model;
  }

  /** Distinct characters of the training text. */
  int alphabetSize() {
    return alphabet.length;
  }

  /**
   * Samples the character after {@code text}. {@code temperature} 0 takes the likeliest; above,
   * counts are raised to {@code 1 / temperature}; {@code topP} below 1 keeps the likeliest
   * characters whose probabilities add up to it.
   */
  char next(CharSequence text, double temperature, double topP, SplittableRandom random) {
    int[] seen = null;
    for (int k = Math.min(order - 1, text.length()); k >= 0 && seen == null; k--) {
      seen = counts.get(text.subSequence(text.length() - k, text.length()).toString());
    }
    Integer[] ids = new Integer[alphabet.length];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = i;
    }
    int[] c = seen;
    Arrays.sort(ids, (a, b) -> Integer.compare(c[b], c[a]));
    if (temperature == 0) {
      return alphabet[ids[0]];
    }
    double[] weights = new double[ids.length];
    double total = 0;
    for (int i = 0; i < ids.length; i++) {
      weights[i] = c[ids[i]] == 0 ? 0 : Math.pow(c[ids[i]], 1 / temperature);
      total += weights[i];
    }
    double kept = 0;
    int last = 0;
    for (; last < ids.length && kept < topP * total; last++) {
      kept += weights[last];
    }
    double pick = random.nextDouble() * kept;
    for (int i = 0; i < last; i++) {
      pick -= weights[i];
      if (pick < 0) {
        return alphabet[ids[i]];
      }
    }
    return alphabet[ids[Math.max(0, last - 1)]];
  }
}
