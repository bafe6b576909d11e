package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.PythonExposition;
import io.forkserve.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A process whose threads counted into one child (main file, owned stripes, shared stripe) is
 * killed with SIGKILL, its registry never closed: Debian's prometheus_client 0.16 reads the
 * exact count it printed before it died. Nothing counted is lost.
 */
class CrashKeepsCountsIT {
  @TempDir Path tmp;

  @Test
  void everyCountedAddSurvivesSigkill() throws Exception {
    Tools.require("python3-prometheus-client");
    Path dir = Files.createDirectory(tmp.resolve("metrics"));
    Path log = tmp.resolve("writer.log");
    int threads = 2 * StripedSeries.STRIPES + 1;
    Process writer =
        Processes.startJava(log, CountThenHangMain.class, dir.toString(), "" + threads, "20000");
    Pattern counted = Pattern.compile("counted (\\d+)");
    try {
      Processes.awaitOutput(
          writer, log, out -> counted.matcher(out).find(), Duration.ofSeconds(60), "its count");
    } finally {
      writer.destroyForcibly(); // SIGKILL: no shutdown hook, no close
      assertTrue(writer.waitFor(60, TimeUnit.SECONDS), "the writer did not die");
    }
    Matcher m = counted.matcher(Processes.read(log));
    assertTrue(m.find());
    double n = Long.parseLong(m.group(1));
    try (Stream<Path> files = Files.list(dir)) {
      assertTrue(files.filter(f -> f.getFileName().toString().startsWith("counter_")).count() > 1,
          "the threads wrote only the main file");
    }
    Map<String, Double> expected = StripedFilesIT.jobsAndLatency(n);
    String python = PythonExposition.scrape(dir);
    Map<String, Double> samples = ExpositionText.samples(python);
    samples.keySet().removeIf(k -> k.startsWith("forkserve_metrics_"));
    assertEquals(expected, samples, python);
  }
}
