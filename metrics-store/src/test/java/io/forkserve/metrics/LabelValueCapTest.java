package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Label values from user code are capped in bytes (issue 14, #2). */
class LabelValueCapTest {
  @TempDir Path dir;

  @Test
  void aValueOverTheCapIsRefusedAndOneAtTheCapIsKept() {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(7).open()) {
      Counter c = Counter.builder("c").help("C.").labelNames("v").register(r);
      c.labels("x".repeat(Names.MAX_LABEL_VALUE_BYTES)).inc();
      // 342 three-byte characters: under the cap in characters, over it in bytes
      String wide = "€".repeat(Names.MAX_LABEL_VALUE_BYTES / 3 + 1);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> c.labels(wide));
      assertTrue(e.getMessage().contains("over 1024 bytes"), e.getMessage());
      assertThrows(
          IllegalArgumentException.class,
          () -> c.labels("x".repeat(Names.MAX_LABEL_VALUE_BYTES + 1)));
    }
  }
}
