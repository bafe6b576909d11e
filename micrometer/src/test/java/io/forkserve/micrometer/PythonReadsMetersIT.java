package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.file.FormatVersion;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two "workers" (registries with their own file IDs, format v1) write the same Micrometer meters;
 * Debian's prometheus_client 0.16 collector reads the directory with the same samples as ours.
 */
class PythonReadsMetersIT {
  private static final Pattern SAMPLE = Pattern.compile("^(\\S+?(?:\\{[^}]*})?) (\\S+)$");

  @TempDir Path dir;

  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES) // a hang guard, not a performance bound
  void pythonsCollectorReadsTheSameTotalsAsOurMerge() throws Exception {
    AtomicLong hits = new AtomicLong();
    for (int worker = 0; worker < 2; worker++) {
      MetricsRegistry metrics =
          MetricsRegistry.builder(dir).pid(4000 + worker).formatVersion(FormatVersion.V1).open();
      try (metrics;
          ForkserveMeterRegistry meters =
              ForkserveMeterRegistry.builder(metrics).sampleInterval(Duration.ofHours(1)).build()) {
        for (int i = 0; i <= worker * 5; i++) {
          Counter.builder("jobs")
              .tag("kind", i % 2 == 0 ? "even" : "odd")
              .register(meters)
              .increment();
          Timer.builder("job.time")
              .publishPercentileHistogram()
              .maximumExpectedValue(Duration.ofSeconds(1))
              .register(meters)
              .record(Duration.ofMillis(3 * i + 1));
          DistributionSummary.builder("job.size").baseUnit("bytes").register(meters).record(i);
          hits.addAndGet(10);
        }
        Gauge.builder("worker.slot", () -> 7).register(meters);
        FunctionCounter.builder("cache.hits", hits, AtomicLong::get).register(meters);
        meters.sampleNow();
      }
    }
    Map<String, Double> ours = samples(Families2Text.scrape(dir));
    Map<String, Double> python = samples(python(dir));
    ours.keySet().removeIf(name -> name.startsWith("forkserve_"));
    assertEquals(ours, python);
    assertEquals(4.0, ours.get("jobs_total{kind=\"even\"}"));
    assertEquals(3.0, ours.get("jobs_total{kind=\"odd\"}"));
    assertEquals(7.0, ours.get("job_time_seconds_count"));
    assertEquals(10.0 + 70.0, ours.get("cache_hits_total"));
  }

  private static String python(Path dir) throws Exception {
    String script =
        "import sys\n"
            + "from prometheus_client import CollectorRegistry, generate_latest\n"
            + "from prometheus_client.multiprocess import MultiProcessCollector\n"
            + "r = CollectorRegistry()\n"
            + "MultiProcessCollector(r, path=sys.argv[1])\n"
            + "sys.stdout.buffer.write(generate_latest(r))\n";
    Path err = Files.createTempFile("python", ".err");
    Process p =
        new ProcessBuilder("/usr/bin/python3", "-c", script, dir.toString())
            .redirectError(err.toFile())
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python did not finish");
    assertEquals(
        0,
        p.exitValue(),
        "python failed (Debian python3-prometheus-client needed): " + Files.readString(err));
    Files.delete(err);
    return out;
  }

  /** {@code series -> value}; Python writes no {@code _created} in multiprocess mode. */
  private static Map<String, Double> samples(String text) {
    Map<String, Double> samples = new TreeMap<>();
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!line.startsWith("#") && m.matches()) {
        samples.put(m.group(1), Double.parseDouble(m.group(2)));
      }
    }
    return samples;
  }
}
