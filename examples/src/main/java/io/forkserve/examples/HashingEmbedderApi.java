package io.forkserve.examples;

import io.forkserve.worker.openai.OpenAiEmbeddingApi;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * An embedding model with no download: feature hashing of character n-grams. Each 2-, 3- and
 * 4-character piece of the lower-cased text (padded with a space at both ends) adds ±1 to one of
 * {@link #DIMENSIONS} coordinates chosen by its hash, and the vector is scaled to length 1, so
 * that texts sharing many pieces have a high cosine similarity (their dot product).
 */
public final class HashingEmbedderApi extends OpenAiEmbeddingApi {
  /** Length of every vector. */
  public static final int DIMENSIONS = 256;

  @Override
  public float[] embed(String text) {
    return embedText(text);
  }

  /** The embedding of {@code text}; all zeros for a text with no piece. */
  static float[] embedText(String text) {
    byte[] padded = (" " + text.toLowerCase(Locale.ROOT) + " ").getBytes(StandardCharsets.UTF_8);
    float[] vector = new float[DIMENSIONS];
    for (int n = 2; n <= 4; n++) {
      for (int start = 0; start + n <= padded.length; start++) {
        int hash = fnv1a(padded, start, n);
        int index = Integer.remainderUnsigned(hash, DIMENSIONS);
        vector[index] += (hash & 0x8000_0000) == 0 ? 1 : -1;
      }
    }
    double norm = 0;
    for (float v : vector) {
      norm += v * v;
    }
    if (norm > 0) {
      float scale = (float) (1 / Math.sqrt(norm));
      for (int i = 0; i < vector.length; i++) {
        vector[i] *= scale;
      }
    }
    return vector;
  }

  /** 32-bit FNV-1a of {@code length} bytes from {@code start}. */
  private static int fnv1a(byte[] bytes, int start, int length) {
    int hash = 0x811c9dc5;
    for (int i = start; i < start + length; i++) {
      hash ^= bytes[i] & 0xff;
      hash *= 0x01000193;
    }
    return hash;
  }

  @Override
  public Map<String, Object> metadata() {
    return Map.of("model", "hashed character 2-4-grams", "dimensions", DIMENSIONS);
  }
}
