package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.testsupport.PyFile;
import io.forkserve.testsupport.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process whose metric file cannot grow (a 100 KiB file-size limit stands in for a full disk)
 * keeps working: a series that cannot be written is counted, logged once and kept in memory; the
 * series it has keep counting; the file stays readable.
 */
class DiskFullIT {
  @TempDir Path tmp;

  @Test
  void aFileThatCannotGrowFailsTheNewSeriesOnly() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Processes.Result writer =
        Processes.exec(
            Duration.ofSeconds(60),
            List.of(
                "bash",
                "-c",
                "ulimit -f 100 && exec \"$0\" -XX:TieredStopAtLevel=1 -cp \"$1\" \"$2\" \"$3\"",
                java,
                System.getProperty("java.class.path"),
                DiskFullMain.class.getName(),
                dir.toString()));
    String out = writer.output();
    assertEquals(0, writer.exit(), out);
    assertTrue(out.contains("grow failed after ") && out.contains("cannot grow metrics file"), out);
    assertTrue(out.contains("first series still counts: 5.0"), out);
    assertTrue(out.contains("the unrecorded one counts 1.0"), out);

    Path file;
    try (var files = Files.list(dir)) {
      file =
          files
              .filter(f -> f.getFileName().toString().startsWith("counter_"))
              .findFirst()
              .orElseThrow();
    }
    List<PyFile.Entry> entries = PyFile.read(file, FormatVersion.V2);
    int created = Integer.parseInt(out.replaceAll("(?s).*grow failed after (\\d+) series.*", "$1"));
    assertEquals(created, entries.size());
    assertEquals(5.0, entries.get(0).value());
  }
}
