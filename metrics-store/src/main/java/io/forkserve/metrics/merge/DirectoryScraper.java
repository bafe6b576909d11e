package io.forkserve.metrics.merge;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.internal.file.MetricFileException;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileReader;
import io.forkserve.metrics.internal.file.ReaderContext;
import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.metrics.model.Sample;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * Merges every metric file in a multiprocess directory, as prometheus_client's {@code
 * MultiProcessCollector} does, incrementally across calls. It keeps files open between scrapes:
 * {@link #close} it when done. Scrapes from several threads run one at a time; {@link
 * #releaseDeletedFiles} and {@link #close} may be called from any thread.
 */
public final class DirectoryScraper implements AutoCloseable {
  /*
   * Per file identity (path and file key: a file replaced under the same name is a new file) the
   * scraper keeps a MetricFileReader, which decodes each entry once, and the slot of each entry
   * in the SeriesTable. A scrape lists *.db, re-reads each file's values by offset, maps the new
   * entries to slots and combines every value into its slot, then asks the table for a snapshot.
   * The path is taken with lstat (a link is not a regular file: skipped), and while the
   * directory holds at most MAX_OPEN_FILES files each reader keeps its file open between
   * scrapes; it is closed when its name leaves the listing or names another file (file key).
   * A deleted file keeps its disk space while its channel is open. The next scrape closes it
   * (its name left the listing); a process that deletes files while nobody may scrape for a
   * while (the server's fold) calls releaseDeletedFiles, which closes at once every kept file
   * whose name no longer names it. That call never waits for a scrape in progress, which may
   * still open a file it listed before the deletion: it sets `releaseAsked` and tries the lock;
   * a scrape reads `releaseAsked` after it unlocks, so one of the two does the release after
   * the deletion (the flag is written before the lock is tried, the lock released before the
   * flag is read). Telling the scraper beats a timer or a check on every scrape: the server
   * knows the moment, and it costs an lstat per kept file per fold, nothing per scrape.
   * close() closes every file; a scrape after it throws IllegalStateException.
   *
   * A file that cannot be read is skipped for this scrape, counted by reason, and logged once per
   * (identity, reason). When most slots went unused (pids come and go), the table is rebuilt from
   * the readers' decoded keys on the next scrape, so memory follows the live series.
   *
   * With merge sources, the files are read first and their values copied, then the sources begin
   * their scrape (the archive opens its read transaction), and only then are the files merged,
   * leaving out each file a source says it already holds (a file folded while this scrape ran).
   * Reading the files before the source's state is what makes a concurrent fold, which commits
   * before it deletes, count every file exactly once: see io.forkserve.metrics.archive.
   *
   * Exemplars come from the exemplars_PID.ex side files (ExemplarMerge), newest per sample.
   */

  /** Gauge: files skipped in the last scrape, by reason. */
  public static final String SKIPPED_FILES = "forkserve_metrics_skipped_files";
  /** Counter: files skipped, summed over scrapes, by reason. */
  public static final String FILE_SKIPS = "forkserve_metrics_file_skips";

  private static final System.Logger LOG = System.getLogger(DirectoryScraper.class.getName());
  private static final int MAX_WARNED = 100_000;
  private static final int COMPACT_MIN_SLOTS = 4096;
  /** Up to this many files, each file's channel stays open from one scrape to the next. */
  private static final int MAX_OPEN_FILES = 512;
  private static final Labels[] REASON_LABELS = reasonLabels();

  private final Path dir;
  private final List<MergeSource> sources;
  private final Consumer<Path> beforeRead;
  private final ReaderContext context = new ReaderContext();
  private final Map<Path, FileState> files = new HashMap<>();
  private final Map<String, Integer> sourceSlots = new HashMap<>();
  /** Fast path for sources that pass the same key instances each scrape (the archive does). */
  private final Map<String, SourceSlot> sourceSlotsByInstance = new IdentityHashMap<>();
  private final Set<String> warned = new HashSet<>();
  private final long[] skipTotals = new long[SkipReason.values().length];
  private final ExemplarMerge exemplars = new ExemplarMerge();
  private SeriesTable table = new SeriesTable();
  private boolean compact;
  private List<SkippedFile> lastSkipped = List.of();
  private final ReentrantLock lock = new ReentrantLock();
  private volatile boolean releaseAsked;
  private boolean closed; // guarded by lock

  /** A scraper over {@code dir}; it never writes, folds or deletes anything there. */
  public DirectoryScraper(Path dir) {
    this(dir, List.of());
  }

  /** A scraper over {@code dir} that also merges {@code sources}' entries. */
  public DirectoryScraper(Path dir, List<MergeSource> sources) {
    this(dir, sources, path -> {});
  }

  /** For tests: {@code beforeRead} runs between listing a file and reading it. */
  DirectoryScraper(Path dir, List<MergeSource> sources, Consumer<Path> beforeRead) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.sources = List.copyOf(sources);
    this.beforeRead = beforeRead;
  }

  /**
   * One scrape of {@code dir} merged with {@code sources} by a scraper closed right after: for
   * tools and tests that scrape once.
   */
  public static MetricSnapshots scrapeOnce(Path dir, List<MergeSource> sources) {
    try (DirectoryScraper scraper = new DirectoryScraper(dir, sources)) {
      return scraper.scrape();
    }
  }

  /** One scrape of {@code dir} by a scraper closed right after. */
  public static MetricSnapshots scrapeOnce(Path dir) {
    return scrapeOnce(dir, List.of());
  }

  /**
   * Reads the directory now and merges it; never throws for a bad file (it is skipped).
   *
   * @throws IllegalStateException once closed
   */
  public MetricSnapshots scrape() {
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("the scraper of " + dir + " is closed");
      }
      return scrapeLocked();
    } finally {
      lock.unlock();
      releaseIfAsked();
    }
  }

  /**
   * Closes at once the files kept open whose name no longer names them (deleted or replaced),
   * so their disk space is freed without waiting for the next scrape; a scrape in progress does
   * it when it ends. Never blocks. Any thread.
   */
  public void releaseDeletedFiles() {
    releaseAsked = true;
    releaseIfAsked();
  }

  private void releaseIfAsked() {
    while (releaseAsked && lock.tryLock()) {
      try {
        releaseAsked = false;
        files.entrySet().removeIf(e -> {
          boolean gone = !names(e.getKey(), e.getValue().fileKey);
          if (gone) {
            e.getValue().reader.close();
          }
          return gone;
        });
      } finally {
        lock.unlock();
      }
    }
  }

  /** True when {@code path} is still the file {@code fileKey}; false when gone or replaced. */
  private static boolean names(Path path, Object fileKey) {
    try {
      BasicFileAttributes attrs =
          Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return Objects.equals(attrs.fileKey(), fileKey);
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      return true; // cannot tell: the next scrape decides
    }
  }

  /** Closes every file this scraper keeps open; idempotent. Waits for a scrape in progress. */
  @Override
  public void close() {
    lock.lock();
    try {
      closed = true;
      for (FileState state : files.values()) {
        state.reader.close();
      }
      files.clear();
    } finally {
      lock.unlock();
    }
  }

  private MetricSnapshots scrapeLocked() {
    if (compact) {
      rebuildTable();
    }
    table.beginScrape();
    List<SkippedFile> skipped = new ArrayList<>();
    Set<Path> present = new HashSet<>();
    List<FileState> read = new ArrayList<>();
    for (Path path : list(skipped)) {
      present.add(path);
      try {
        FileState state = scrapeFile(path, skipped);
        if (state != null) {
          read.add(state);
        }
      } catch (RuntimeException e) { // a defect of ours must not cost the other files
        FileState dropped = files.remove(path);
        if (dropped != null) {
          dropped.reader.close();
        }
        skip(skipped, path, null, SkipReason.CORRUPT, "unexpected error: " + e);
      }
    }
    files.entrySet().removeIf(e -> {
      boolean gone = !present.contains(e.getKey());
      if (gone) {
        e.getValue().reader.close();
      }
      return gone;
    });
    if (!sources.isEmpty()) {
      mergeWithSources(read, skipped);
    }
    context.trim();
    int[] byReason = new int[SkipReason.values().length];
    for (SkippedFile s : skipped) {
      byReason[s.reason().ordinal()]++;
      skipTotals[s.reason().ordinal()]++;
    }
    lastSkipped = Collections.unmodifiableList(skipped);
    List<MetricFamilySnapshot> families = ExemplarMerge.attach(
        table.snapshot(this::invalidFamily),
        exemplars.read(dir, (path, why) -> warnOnce(path + "|exemplars|" + why,
            "exemplars of " + path + " left out: " + why)));
    families.add(selfGauge(byReason));
    families.add(selfCounter());
    families.sort((a, b) -> a.name().compareTo(b.name()));
    compact = table.size() > COMPACT_MIN_SLOTS && table.seenCount() < table.size() / 2;
    return new MetricSnapshots(families);
  }

  /** The files skipped by the last scrape, with reasons. */
  List<SkippedFile> lastSkipped() {
    return lastSkipped;
  }

  private List<Path> list(List<SkippedFile> skipped) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.db")) {
      for (Path p : stream) {
        out.add(p);
      }
    } catch (IOException e) {
      warnOnce(dir.toString(), dir + ": cannot list the metrics directory: " + e);
    }
    Collections.sort(out);
    return out;
  }

  /** Reads one file; merges it now without sources, else returns it with its values copied. */
  private FileState scrapeFile(Path path, List<SkippedFile> skipped) {
    FileState known = files.get(path);
    MetricFileName name = known != null ? known.reader.name() // parsed when first listed
        : MetricFileName.parse(path.getFileName().toString());
    if (name == null) {
      skip(skipped, path, null, SkipReason.BAD_NAME, "not a metric file name");
      return null;
    }
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      skip(skipped, path, null, SkipReason.VANISHED, "deleted while being read");
      return null;
    } catch (IOException e) {
      skip(skipped, path, null, SkipReason.UNREADABLE, e.toString());
      return null;
    }
    if (!attrs.isRegularFile()) {
      FileState old = files.remove(path);
      if (old != null) {
        old.reader.close();
      }
      skip(skipped, path, attrs.fileKey(), SkipReason.UNREADABLE, "not a regular file");
      return null;
    }
    FileState state = files.get(path);
    if (state == null || !Objects.equals(state.fileKey, attrs.fileKey())) {
      if (state != null) {
        state.reader.close(); // another file now has this name
      }
      state = new FileState(new MetricFileReader(path, name), attrs.fileKey());
      files.put(path, state);
    }
    state.lastModified = attrs.lastModifiedTime();
    beforeRead.accept(path);
    try {
      state.reader.read(context, attrs, files.size() <= MAX_OPEN_FILES);
    } catch (MetricFileException e) {
      skip(skipped, path, state.fileKey, e.reason(), e.detail());
      return null;
    }
    if (sources.isEmpty()) {
      combine(state, skipped);
      return null;
    }
    state.capture();
    return state;
  }

  private void combine(FileState state, List<SkippedFile> skipped) {
    int ignored = state.combine(table);
    Path path = state.reader.path();
    if (state.invalid > 0) {
      skip(skipped, path, state.fileKey, SkipReason.INVALID_VALUE,
          state.invalid + " NaN values left out (OpenMetrics forbids NaN in this type)");
    }
    if (ignored > 0) {
      warnOnce(path + "|" + state.fileKey + "|conflict", "metrics file " + path + ": " + ignored
          + " entries ignored: their metric already has another type or gauge mode");
    }
  }

  /** Begins the sources, merges the files no source holds, then the sources' entries. */
  private void mergeWithSources(List<FileState> read, List<SkippedFile> skipped) {
    List<MergeSource> begun = new ArrayList<>();
    try {
      for (MergeSource source : sources) {
        try {
          source.beginScrape();
          begun.add(source);
        } catch (RuntimeException e) { // the archive says once per damage; counted then
          skip(skipped, dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER), null, SkipReason.ARCHIVE,
              String.valueOf(e.getMessage()));
        }
      }
      for (FileState state : read) {
        if (!heldBySource(begun, state)) {
          combine(state, skipped);
        }
      }
      for (MergeSource source : begun) {
        scrapeSource(source, skipped);
      }
    } finally {
      for (MergeSource source : begun) {
        try {
          source.endScrape();
        } catch (RuntimeException e) {
          warnOnce("source end " + source, "merge source " + source + " failed: " + e);
        }
      }
    }
  }

  private boolean heldBySource(List<MergeSource> begun, FileState state) {
    String fileName = state.reader.path().getFileName().toString();
    for (MergeSource source : begun) {
      try {
        if (source.holds(fileName, state.fileKey, state.lastModified)) {
          return true;
        }
      } catch (RuntimeException e) {
        warnOnce("source holds " + source, "merge source " + source + " failed: " + e);
      }
    }
    return false;
  }

  private void scrapeSource(MergeSource source, List<SkippedFile> skipped) {
    try {
      source.forEachEntry((type, mode, pid, key, value, timestamp) -> {
        int slot = MergeRule.forbidden(type, value) ? -1 : sourceSlot(type, mode, pid, key);
        if (slot >= 0) {
          table.add(slot, value, timestamp);
        }
      });
    } catch (RuntimeException e) {
      skip(skipped, dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER), null, SkipReason.ARCHIVE,
          String.valueOf(e.getMessage()));
    }
  }

  private int sourceSlot(MetricType type, GaugeMode mode, String pid, String json) {
    SourceSlot known = sourceSlotsByInstance.get(json);
    if (known != null && known.type() == type && known.mode() == mode && known.pid().equals(pid)) {
      return known.slot();
    }
    int slot = sourceSlotById(type, mode, pid, json);
    if (sourceSlotsByInstance.size() > 2 * sourceSlots.size() + 1024) {
      sourceSlotsByInstance.clear(); // a source passing new instances each scrape
    }
    sourceSlotsByInstance.put(json, new SourceSlot(type, mode, pid, slot));
    return slot;
  }

  private int sourceSlotById(MetricType type, GaugeMode mode, String pid, String json) {
    String id = type + "|" + mode + "|" + pid + "|" + json;
    Integer slot = sourceSlots.get(id);
    if (slot == null) {
      try {
        MergeRule rule = MergeRule.of(type, mode == null ? null : MergeRule.ofGaugeMode(
            mode.fileToken())); // a live mode merges as its plain twin
        slot = table.slotFor(type, rule, pid, EntryKey.parse(json, type));
      } catch (IllegalArgumentException e) {
        warnOnce(id, "merge source entry dropped: " + e.getMessage());
        slot = -1;
      }
      sourceSlots.put(id, slot);
    }
    return slot;
  }

  private void rebuildTable() {
    table = new SeriesTable();
    sourceSlots.clear();
    sourceSlotsByInstance.clear();
    for (FileState s : files.values()) {
      s.mapped = 0;
    }
    compact = false;
  }

  private void skip(List<SkippedFile> skipped, Path path, Object fileKey, SkipReason reason,
      String detail) {
    skipped.add(new SkippedFile(path, reason, detail));
    warnOnce(path + "|" + fileKey + "|" + reason,
        "skipping metrics file " + path + " (" + reason.label() + "): " + detail);
  }

  private void invalidFamily(String family, String reason) {
    warnOnce("family " + family + "|" + reason, "metric " + family + " left out: " + reason);
  }

  private void warnOnce(String id, String message) {
    if (warned.size() >= MAX_WARNED) {
      warned.clear();
    }
    if (warned.add(id)) {
      LOG.log(Level.WARNING, message);
    }
  }

  private static MetricFamilySnapshot selfGauge(int[] byReason) {
    List<Sample> samples = new ArrayList<>();
    for (SkipReason r : SkipReason.values()) {
      samples.add(new Sample(SKIPPED_FILES, REASON_LABELS[r.ordinal()], byReason[r.ordinal()]));
    }
    return new MetricFamilySnapshot(SKIPPED_FILES, MetricType.GAUGE,
        "Files in the metrics directory skipped by the last scrape, by reason.", samples);
  }

  private MetricFamilySnapshot selfCounter() {
    List<Sample> samples = new ArrayList<>();
    for (SkipReason r : SkipReason.values()) {
      samples.add(new Sample(FILE_SKIPS + "_total", REASON_LABELS[r.ordinal()],
          skipTotals[r.ordinal()]));
    }
    return new MetricFamilySnapshot(FILE_SKIPS, MetricType.COUNTER,
        "Files skipped by scrapes of the metrics directory, summed over scrapes, by reason.",
        samples);
  }

  private static Labels[] reasonLabels() {
    Labels[] out = new Labels[SkipReason.values().length];
    for (SkipReason r : SkipReason.values()) {
      out[r.ordinal()] = Labels.of(new String[] {"reason"}, new String[] {r.label()});
    }
    return out;
  }

  /** The slot of one source entry, valid for the key instance it is cached under. */
  private record SourceSlot(MetricType type, GaugeMode mode, String pid, int slot) {}
}
