package io.forkserve.benchmarks;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * One scrape of a multiprocess directory: {@link DirectoryScraper#scrape()} then {@link
 * Exposition#write} into an in-memory buffer, as prometheus_client's {@code generate_latest}
 * returns its body in memory. Sampled per call, so the result carries the median and p90.
 *
 * <p>{@code benchmarks/scrape/compare.sh} writes the directory with Python's prometheus_client
 * and times Python on the same directory in the same run; run this directly with {@code -p
 * dir=DIR}.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Benchmark)
public class ScrapeBenchmark {
  /** A prometheus_client multiprocess directory; required. */
  @Param("")
  public String dir;

  /** {@code TEXT} or {@code OPENMETRICS}. */
  @Param({"TEXT"})
  public String format;

  /**
   * {@code reused}: one scraper for the whole trial, the steady state of a server (warm and
   * incremental); {@code fresh}: a new scraper per scrape, which decodes every entry again.
   */
  @Param({"reused"})
  public String scraper;

  private Path path;
  private ExpositionFormat expositionFormat;
  private boolean fresh;
  private DirectoryScraper reused;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream(8 << 20);

  @Setup(Level.Trial)
  public void setUp() {
    if (dir.isEmpty() || !Files.isDirectory(Path.of(dir))) {
      throw new IllegalArgumentException(
          "pass -p dir=DIR, a prometheus_client multiprocess directory (got '" + dir + "')");
    }
    path = Path.of(dir);
    expositionFormat = ExpositionFormat.valueOf(format);
    if (!"reused".equals(scraper) && !"fresh".equals(scraper)) {
      throw new IllegalArgumentException("scraper must be reused or fresh, not " + scraper);
    }
    fresh = "fresh".equals(scraper);
    reused = new DirectoryScraper(path);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    reused.close();
  }

  @Benchmark
  public int scrape() throws IOException {
    MetricSnapshots snapshots = fresh ? DirectoryScraper.scrapeOnce(path) : reused.scrape();
    out.reset();
    Exposition.write(snapshots, expositionFormat, out);
    return out.size();
  }
}
