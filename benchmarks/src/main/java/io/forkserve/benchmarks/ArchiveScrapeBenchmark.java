package io.forkserve.benchmarks;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Histogram;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.merge.MergeSource;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scrape time (merge plus text exposition) of a directory with the same live processes after
 * {@code restarts} dead workers: folded into the LMDB archive ({@code archive}), or with their
 * files left in place as prometheus_client leaves them ({@code deadFiles}, the baseline). Each
 * worker, live or dead, writes the same {@value #SERIES} labelled series: a counter and a
 * 15-bucket histogram each.
 *
 * <p>{@code java -cp benchmarks/target/benchmarks.jar
 * io.forkserve.benchmarks.ArchiveScrapeBenchmark DIR RESTARTS} writes the {@code deadFiles}
 * directory (format v1) for timing Python's collector on it: benchmarks/archive-scrape-python.sh.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {
    "--add-opens", "java.base/java.nio=ALL-UNNAMED",
    "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ArchiveScrapeBenchmark {
  static final int SERIES = 100;
  static final int LIVE = 4;
  static final long FIRST_PID = 9_000_000;

  @Param({"1", "1000"})
  public int restarts;

  @Param({"archive", "deadFiles"})
  public String mode;

  private Path dir;
  private MetricsArchive archive;
  private DirectoryScraper scraper;
  private final OutputStream sink = OutputStream.nullOutputStream();

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    dir = Files.createTempDirectory("archive-bench");
    boolean fold = mode.equals("archive");
    archive = fold ? MetricsArchive.open(dir) : null;
    for (int i = 0; i < restarts; i++) {
      writeWorker(dir, FIRST_PID + LIVE + i, i, FormatVersion.V2);
      if (fold) {
        archive.fold(FIRST_PID + LIVE + i);
      }
    }
    for (int i = 0; i < LIVE; i++) {
      writeWorker(dir, FIRST_PID + i, i, FormatVersion.V2);
    }
    List<MergeSource> sources = fold ? List.of(archive.newMergeSource()) : List.of();
    scraper = new DirectoryScraper(dir, sources);
  }

  @Benchmark
  public long scrape() throws IOException {
    Exposition.write(scraper.scrape(), ExpositionFormat.TEXT, sink);
    return 0;
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    scraper.close();
    if (archive != null) {
      archive.close();
    }
    BenchDirs.delete(dir);
  }

  /** Writes one worker's files as process {@code pid}; the registry is closed like an exit. */
  static void writeWorker(Path dir, long pid, int seed, FormatVersion version) {
    try (MetricsRegistry r =
        MetricsRegistry.builder(dir).pid(pid).formatVersion(version).open()) {
      Counter requests = Counter.builder("requests").help("Requests.")
          .labelNames("model", "route").register(r);
      Histogram latency = Histogram.builder("latency_seconds").help("Latency.")
          .labelNames("model", "route").register(r);
      for (int s = 0; s < SERIES; s++) {
        String model = "m" + s / 10;
        String route = "/r" + s % 10;
        requests.labels(model, route).inc(1 + seed % 7);
        latency.labels(model, route).observe(((s + seed) % 50) / 10.0);
      }
    }
  }

  /**
   * Writes the {@code deadFiles} directory, args DIR RESTARTS, in format v1: Debian's
   * prometheus_client is 0.16, which reads only v1.
   */
  public static void main(String[] args) {
    Path dir = Path.of(args[0]);
    int restarts = Integer.parseInt(args[1]);
    for (int i = 0; i < restarts + LIVE; i++) {
      writeWorker(dir, FIRST_PID + i, i, FormatVersion.V1);
    }
  }
}
