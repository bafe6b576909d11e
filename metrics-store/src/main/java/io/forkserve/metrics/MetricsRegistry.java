package io.forkserve.metrics;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.internal.LazyLogger;
import io.forkserve.metrics.internal.file.ExemplarFile;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileWriter;
import io.forkserve.metrics.model.MetricType;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One process's metrics, written into memory-mapped files in a multiprocess directory, one file per
 * metric type ({@code counter_PID.db}, {@code gauge_MODE_PID.db}, ...) plus, under contention,
 * stripe files of the additive types ({@code histogram_PIDsN.db}), byte-compatible with
 * prometheus_client's multiprocess mode. Thread-safe; one registry per process and directory.
 */
public final class MetricsRegistry implements Closeable {
  private static final System.Logger LOG = LazyLogger.of(MetricsRegistry.class);

  /*
   * Threading: registering a metric and opening a file happen under this object's monitor;
   * creating a series happens under its file's writer (MetricFileWriter appends the entries and
   * publishes `used` with a release store). Children are published through a
   * ConcurrentHashMap and hold their mapping and value offsets, so updates take no lock: they
   * are single atomic 8-byte operations on the mapping (compare-and-set for additions, striped
   * over extra files under contention: see StripedSeries).
   */

  /** Environment variable naming the directory; {@link #FALLBACK_ENV} is read when unset. */
  public static final String ENV = "METRICS_MULTIPROC_DIR";

  /** prometheus_client's variable, read when {@link #ENV} is unset. */
  public static final String FALLBACK_ENV = "PROMETHEUS_MULTIPROC_DIR";

  /** Default of {@link Builder#maxSeriesPerMetric(int)}. */
  public static final int DEFAULT_MAX_SERIES_PER_METRIC = 10_000;

  /** Family of the counter of refused series, labelled {@code metric}; written by the registry. */
  public static final String SERIES_REJECTED = "forkserve_metrics_series_rejected";


  /** (directory, pid) of the open registries: two writers of one file would corrupt it. */
  private static final Set<String> OPEN = ConcurrentHashMap.newKeySet();

  private final Path directory;
  private final String openKey;
  private final long pid;
  private final FormatVersion formatVersion;
  private final Clock clock;
  private final int maxSeriesPerMetric;
  private final Map<String, MetricFileWriter> files = new HashMap<>();
  private final Set<String> names = new HashSet<>();
  private final AtomicLong unwritableSeries = new AtomicLong();
  private final AtomicBoolean unwritableLogged = new AtomicBoolean();
  private boolean closed;
  private Counter rejected;
  private ExemplarFile exemplars;
  private boolean exemplarsFailed;

  private MetricsRegistry(Builder builder) {
    this.directory = builder.directory;
    this.openKey = builder.openKey();
    this.pid = builder.pid;
    this.formatVersion = builder.formatVersion;
    this.clock = builder.clock;
    this.maxSeriesPerMetric = builder.maxSeriesPerMetric;
  }

  /** Opens a registry on {@code METRICS_MULTIPROC_DIR}, else {@code PROMETHEUS_MULTIPROC_DIR}. */
  public static MetricsRegistry fromEnvironment() {
    return open(directoryFromEnvironment(System.getenv()));
  }

  /** The directory the environment names, or an exception naming both variables. */
  static Path directoryFromEnvironment(Map<String, String> env) {
    for (String name : List.of(ENV, FALLBACK_ENV)) {
      String value = env.get(name);
      if (value != null && !value.isBlank()) {
        return Path.of(value);
      }
    }
    throw new IllegalStateException(
        "neither "
            + ENV
            + " nor "
            + FALLBACK_ENV
            + " is set: set one to the multiprocess metrics directory");
  }

  /** Opens a registry on {@code dir} for this process, in format v2. */
  public static MetricsRegistry open(Path dir) {
    return builder(dir).open();
  }

  /** A builder to choose the file ID (pid) and format version. */
  public static Builder builder(Path dir) {
    return new Builder(Objects.requireNonNull(dir, "dir"));
  }

  /** The multiprocess directory. */
  public Path directory() {
    return directory;
  }

  /** The file ID: the pid unless the builder set another. */
  public long pid() {
    return pid;
  }

  /** The format version of the files this registry writes. */
  public FormatVersion formatVersion() {
    return formatVersion;
  }

  /** The most labelled series one metric may have in this process. */
  public int maxSeriesPerMetric() {
    return maxSeriesPerMetric;
  }

  /**
   * Throws, and counts the refusal in {@link #SERIES_REJECTED}, when {@code metric} already has
   * {@code existing} series and that is the limit. The refusal counter itself is not limited.
   */
  void admitSeries(String metric, int existing) {
    if (existing < maxSeriesPerMetric || metric.equals(SERIES_REJECTED)) {
      return;
    }
    rejected().labels(metric).inc();
    throw new IllegalStateException(
        "metric "
            + metric
            + " already has "
            + existing
            + " label sets, the limit (maxSeriesPerMetric): new label values are refused, the"
            + " existing series keep working; label values must come from a small fixed set, not"
            + " from ids, paths or user input");
  }

  private synchronized Counter rejected() {
    if (rejected == null) {
      rejected =
          Counter.builder(SERIES_REJECTED)
              .help("New label sets refused by the per-metric series limit, by metric.")
              .labelNames("metric")
              .register(this);
    }
    return rejected;
  }

  /** Unix time in seconds, as Python's {@code time.time()}; for the mostrecent gauge modes. */
  double unixSeconds() {
    Instant now = clock.instant();
    return now.getEpochSecond() + now.getNano() / 1e9;
  }

  /** Reserves a family name and its sample names, or throws if another metric has one. */
  synchronized void reserve(String family, List<String> sampleNames) {
    checkOpen();
    List<String> all = new ArrayList<>(sampleNames);
    all.add(family);
    for (String name : all) {
      if (names.contains(name)) {
        throw new IllegalArgumentException(
            "metric name " + name + " is already registered in this registry");
      }
    }
    names.addAll(all);
  }

  /**
   * Slots for {@code keys} in this process's file of {@code type} and gauge {@code mode} token
   * (null for other types).
   */
  MetricFileWriter.Slots slots(MetricType type, String mode, List<String> keys) {
    return slots(type, mode, 0, keys);
  }

  /**
   * Slots for {@code keys} in stripe {@code stripe} of the file of {@code type}: stripe 0 is
   * the main file {@code TYPE_PID.db}, stripe N the file {@code TYPE_PIDsN.db} (additive types
   * only, see {@link StripedSeries}).
   */
  MetricFileWriter.Slots slots(MetricType type, String mode, int stripe, List<String> keys) {
    try {
      return file(type, mode, stripe).slots(keys);
    } catch (UncheckedIOException e) { // disk full, quota, I/O error: serve on without them
      return unwritable(e, keys.size());
    }
  }

  /** The stripe files (TYPE_PIDsN.db) of the series {@code keys}: see {@link StripedSeries}. */
  StripedSeries.StripeFiles stripeFiles(MetricType type, String mode, List<String> keys) {
    return new StripedSeries.StripeFiles() {
      @Override
      public MetricFileWriter.Slots create(int stripe) {
        return slots(type, mode, stripe, keys);
      }

      @Override
      public MetricFileWriter.Slots retry(int stripe) {
        try {
          return file(type, mode, stripe).slots(keys);
        } catch (UncheckedIOException e) { // still full: counted and logged the first time
          return null;
        }
      }

      @Override
      public long millis() {
        return clock.millis();
      }
    };
  }

  /**
   * Slots in memory only, for series whose file cannot be created or grown (a full disk): the
   * metric keeps working for the caller and records nothing. Counted, logged once per registry;
   * a later series tries the file again (space may have been freed).
   */
  private MetricFileWriter.Slots unwritable(UncheckedIOException e, int keys) {
    unwritableSeries.incrementAndGet();
    if (!unwritableLogged.getAndSet(true)) {
      LOG.log(System.Logger.Level.WARNING, "metrics: " + e.getMessage() + "; new series of this"
          + " process are not recorded while the metrics directory " + directory
          + " cannot be written (counted in unwritableSeries(); logged once)");
    }
    return MetricFileWriter.Slots.inMemory(keys, formatVersion);
  }

  /**
   * Series created while their file could not be created or grown (e.g. a full disk): they work
   * for the caller but are not recorded. Zero normally.
   */
  public long unwritableSeries() {
    return unwritableSeries.get();
  }

  private synchronized MetricFileWriter file(MetricType type, String mode, int stripe) {
    checkOpen();
    String id = stripe == 0 ? Long.toString(pid) : MetricFileName.stripeId(pid, stripe);
    String fileName = MetricFileName.format(type, mode, id);
    MetricFileWriter writer = files.get(fileName);
    if (writer == null) {
      Path path = directory.resolve(fileName);
      try {
        writer = MetricFileWriter.open(path, formatVersion);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open metrics file " + path + ": " + e, e);
      }
      files.put(fileName, writer);
    }
    return writer;
  }

  /**
   * A new exemplar slot for the series {@code key} in this process's {@code exemplars_PID.ex},
   * or null when that file cannot be written (logged once): exemplars are best effort and never
   * fail an observation.
   */
  synchronized ExemplarFile.Slot exemplarSlot(String key) {
    if (closed || exemplarsFailed) {
      return null;
    }
    Path path = directory.resolve(MetricFileName.exemplarsName(pid));
    try {
      if (exemplars == null) {
        exemplars = ExemplarFile.create(path);
      }
      return exemplars.slot(key);
    } catch (IOException | RuntimeException e) {
      exemplarsFailed = true;
      LOG.log(System.Logger.Level.WARNING,
          "exemplars off for this process: cannot write " + path + ": " + e);
      return null;
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("metrics registry on " + directory + " is closed");
    }
  }

  /**
   * Flushes and closes this registry's files; no metric can be registered and no new series created
   * afterwards. Handles created before keep writing into the mapped files.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    OPEN.remove(openKey);
    IOException failure = null;
    for (MetricFileWriter writer : files.values()) {
      try {
        writer.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    if (exemplars != null) {
      try {
        exemplars.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw new UncheckedIOException("cannot close metrics files in " + directory, failure);
    }
  }

  @Override
  public String toString() {
    return "MetricsRegistry["
        + directory
        + ", pid "
        + pid
        + ", format v"
        + formatVersion.number()
        + "]";
  }

  /** Options for {@link MetricsRegistry}. */
  public static final class Builder {
    private final Path directory;
    private long pid = ProcessHandle.current().pid();
    private FormatVersion formatVersion = FormatVersion.V2;
    private Clock clock = Clock.systemUTC();
    private int maxSeriesPerMetric = DEFAULT_MAX_SERIES_PER_METRIC;

    private Builder(Path directory) {
      this.directory = directory;
    }

    /** The file ID written in file names; defaults to this process's pid. */
    public Builder pid(long pid) {
      if (pid < 0) {
        throw new IllegalArgumentException("pid must not be negative: " + pid);
      }
      this.pid = pid;
      return this;
    }

    /** The on-disk format; defaults to {@link FormatVersion#V2}. */
    public Builder formatVersion(FormatVersion version) {
      this.formatVersion = Objects.requireNonNull(version, "version");
      return this;
    }

    /**
     * The clock for the timestamps of the mostrecent gauge modes and for the pace of retrying a
     * stripe file that could not be created; defaults to system UTC.
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The most label sets one labelled metric may create in this process (default {@value
     * #DEFAULT_MAX_SERIES_PER_METRIC}); {@code labels(...)} with new values beyond it throws {@link
     * IllegalStateException} and counts the refusal in {@link #SERIES_REJECTED}.
     */
    public Builder maxSeriesPerMetric(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxSeriesPerMetric must be at least 1: " + max);
      }
      this.maxSeriesPerMetric = max;
      return this;
    }

    /**
     * Opens the registry; the directory must exist and be writable, and no other registry of this
     * process may be open on it with the same pid.
     */
    public MetricsRegistry open() {
      if (!Files.isDirectory(directory)) {
        throw new IllegalStateException(
            "metrics directory " + directory + " does not exist or is not a directory");
      }
      if (!OPEN.add(openKey())) {
        throw new IllegalStateException(
            "a metrics registry for pid "
                + pid
                + " is already open on "
                + directory
                + " in this process: share that one");
      }
      return new MetricsRegistry(this);
    }

    private String openKey() {
      return directory.toAbsolutePath().normalize() + "#" + pid;
    }
  }
}
