package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.testsupport.Processes;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the file system says about our files ({@code stat}, a process). */
class MetricFileWriterIT {
  @TempDir Path dir;

  @Test
  void blocksAreAllocatedNotSparse() throws Exception {
    Path file = dir.resolve("histogram_8.db");
    try (MetricFileWriter w = MetricFileWriter.open(file, FormatVersion.V2)) {
      for (int i = 0; i < 2000; i++) {
        w.slots(List.of(MetricFileWriterTest.key(i)));
      }
    }
    String[] out =
        Processes.run(new byte[0], "stat", "-c", "%b %B %s", file.toString()).trim().split(" ");
    long allocated = Long.parseLong(out[0]) * Long.parseLong(out[1]);
    assertTrue(
        allocated >= Long.parseLong(out[2]),
        "allocated " + allocated + " bytes of a " + out[2] + "-byte file: sparse");
  }
}
