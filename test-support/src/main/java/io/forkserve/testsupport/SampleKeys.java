package io.forkserve.testsupport;

import java.util.Map;
import java.util.TreeMap;

/** A printable, comparable identity of one sample: {@code name{a=x, b=y}}, labels sorted. */
public final class SampleKeys {
  private SampleKeys() {}

  /** The key for {@code name} with {@code labels}. */
  public static String of(String name, Map<String, String> labels) {
    return name + new TreeMap<>(labels);
  }

  /** The key for {@code name} with alternating label names and values. */
  public static String of(String name, String... labelPairs) {
    Map<String, String> labels = new TreeMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      labels.put(labelPairs[i], labelPairs[i + 1]);
    }
    return of(name, labels);
  }
}
