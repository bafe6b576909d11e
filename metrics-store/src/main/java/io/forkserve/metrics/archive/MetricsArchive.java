package io.forkserve.metrics.archive;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.internal.ExactSum;
import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.internal.file.MetricFileException;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileReader;
import io.forkserve.metrics.internal.file.MetricKey;
import io.forkserve.metrics.internal.file.ReaderContext;
import io.forkserve.metrics.internal.file.SkipReason;
import io.forkserve.metrics.merge.MergeSource;
import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricType;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.lmdbjava.Cursor;
import org.lmdbjava.Dbi;
import org.lmdbjava.GetOp;
import org.lmdbjava.Txn;

/**
 * The archive of dead processes' metrics: an LMDB environment in the metrics directory's {@value
 * MultiprocDirectory#ARCHIVE_FOLDER} folder. The server that owns the directory opens it with
 * {@link #open} (after wiping the directory), calls {@link #fold} for each process confirmed
 * dead, and scrapes through {@link #newMergeSource}; any other process (e.g. {@code bin/metrics
 * merge}) uses {@link #openReadOnly}, which never creates, folds or deletes anything. Thread-safe.
 */
public final class MetricsArchive implements Closeable {
  /*
   * Fold (one process, the server): inside ONE LMDB write transaction, for each file of the dead
   * pid, read its attributes and content, add its entries to the archived series by their merge
   * rule, and record its identity (file name, file key = device and inode, last-modified time in
   * ns); then commit; then delete the files. gauge_live* files are only deleted, and first, before
   * the transaction: they are never archived, and a fold that fails must not leave a dead
   * process's live gauges behind. This is the one place that deletes them (as prometheus_client's
   * mark_process_dead does).
   *
   * Scrape (any process, any number, no lock between them): 1. read the live files, noting each
   * one's identity; 2. begin a read transaction on the archive; 3. leave out every file read in 1
   * whose identity the transaction holds, merge the others and the transaction's series.
   *
   * Why each file is counted exactly once: take a file F the scraper may see. If F's fold
   * committed before step 2, the transaction holds F's final values and F's identity, so F is
   * left out if step 1 read it. If it committed after step 2, the transaction holds neither, and
   * F still existed during step 1 (it is deleted only after the commit), so step 1 read it. No
   * gap: a file missing from step 1 was deleted before step 1, hence committed before step 2.
   * Counters never go backwards: a file is read while its process may still write it (values only
   * grow), and the fold holds the final values; the archive only grows.
   *
   * Identity: a pid, and so a file name, may be reused by a later process, and a deleted file's
   * inode may be reused for a new one. A file is "held" when a record with its name and file key
   * exists and that record's mtime is not older than the mtime the scraper saw: the folded file's
   * mtime can only have grown since the scraper looked, while a new file under the same name and
   * inode was created after the fold and so has a later mtime. (A wall clock stepped backwards
   * while a process wrote could make one scrape count a file twice; it corrects itself on the
   * next scrape.)
   *
   * Crash safety: a failure before the commit leaves the archive and the files as they were
   * (LMDB aborts the transaction). A failure after the commit and before the deletes leaves files
   * whose identity is recorded: scrapes leave them out, and a repeated fold finds the record and
   * just deletes them. So a fold may be repeated any number of times.
   *
   * Damage (a truncated, replaced, foreign or garbage data.mdb, or a wrong format marker; see
   * ArchiveFile): the owner checks the archive before every fold and scrape (usableEnv). A
   * damaged archive is closed, moved aside to DAMAGED_FOLDER (replacing an older one, so damage
   * cannot fill the disk), logged once with both names, and a fresh archive is opened: archived
   * counters restart from zero, which every ArchiveSource reports exactly once (its scrape
   * counts it as a skip with reason "archive"). A read-only view moves nothing: each scrape of
   * a damaged archive fails with the problem and is counted.
   */

  private static final System.Logger LOG = System.getLogger(MetricsArchive.class.getName());
  private static final long DEFAULT_MAP_SIZE = 32L << 20;
  /** Where the owner moves a damaged archive: inside the metrics directory. */
  public static final String DAMAGED_FOLDER = MultiprocDirectory.ARCHIVE_FOLDER + ".damaged";

  private final Path metricsDir;
  private final Path folder;
  private final boolean readOnly;
  private final Clock clock;
  private final long initialMapSize;
  private final ReaderContext context = new ReaderContext();
  private volatile int resets;
  private volatile String lastDamage = "";
  private volatile ArchiveEnv env;
  private Object envFileKey;
  private volatile FaultHook hook = stage -> {};
  private ByteBuffer keyBuffer;
  private ByteBuffer valueBuffer = ByteBuffer.allocateDirect(256);

  private MetricsArchive(Path metricsDir, boolean readOnly, Clock clock, ArchiveEnv env,
      long initialMapSize) {
    this.metricsDir = metricsDir;
    this.initialMapSize = initialMapSize;
    this.folder = metricsDir.resolve(MultiprocDirectory.ARCHIVE_FOLDER);
    this.readOnly = readOnly;
    this.clock = clock;
    this.env = env;
  }

  /**
   * Opens the archive of {@code metricsDir} for folding, creating it if needed, and clears the
   * reader slots of dead processes. For the server that owns (and has locked) the directory.
   * Refuses (IllegalStateException) an archive folder that is a symbolic link.
   */
  public static MetricsArchive open(Path metricsDir) {
    return open(metricsDir, Clock.systemUTC(), DEFAULT_MAP_SIZE);
  }

  static MetricsArchive open(Path metricsDir, Clock clock, long initialMapSize) {
    Path folder = metricsDir.resolve(MultiprocDirectory.ARCHIVE_FOLDER);
    if (Files.isSymbolicLink(folder)) {
      throw new IllegalStateException(
          folder + " is a symbolic link: the archive stays inside the metrics directory");
    }
    MetricsArchive archive = new MetricsArchive(metricsDir, false, clock, null, initialMapSize);
    try {
      archive.env = ArchiveEnv.openWritable(folder, initialMapSize);
      String problem = archive.env.problem();
      if (problem != null) {
        archive.env.close();
        archive.env = null;
        throw new ArchiveDamagedException(problem);
      }
    } catch (ArchiveDamagedException | org.lmdbjava.LmdbException e) {
      archive.replaceDamaged(e.getMessage());
    }
    archive.env.readerCheck();
    return archive;
  }

  /**
   * A read-only view of the archive of {@code metricsDir}, for tools reading a directory they do
   * not own. Never creates the archive; merges nothing until one exists.
   */
  public static MetricsArchive openReadOnly(Path metricsDir) {
    return new MetricsArchive(metricsDir, true, Clock.systemUTC(), null, DEFAULT_MAP_SIZE);
  }

  /** The archive's folder, {@code DIR/forkserve-archive}. */
  public Path folder() {
    return folder;
  }

  /** True for a view from {@link #openReadOnly}. */
  public boolean readOnly() {
    return readOnly;
  }

  /**
   * Folds the files of process {@code pid}, which must be dead, into the archive and deletes
   * them; repeating it is harmless. Call it after the process was reaped.
   *
   * @throws IllegalStateException when read-only or when {@code pid} is still alive
   */
  public FoldResult fold(long pid) {
    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
      throw new IllegalStateException("process " + pid + " is alive; fold only a dead process");
    }
    return foldId(Long.toString(pid));
  }

  /** Folds the files whose ID is {@code id}, without checking that a process is gone. */
  synchronized FoldResult foldId(String id) {
    if (readOnly) {
      throw new IllegalStateException("read-only metrics archive: " + folder);
    }
    if (env == null) {
      throw new IllegalStateException("metrics archive closed: " + folder);
    }
    List<Path> files = filesOf(id);
    deleteLiveGauges(files);
    deleteExemplars(id);
    if (files.isEmpty()) {
      return new FoldResult(id, List.of(), List.of(), List.of(), List.of());
    }
    FoldResult result = usableEnv().write(txn -> foldInTxn(txn, id, files));
    hook.at(Stage.AFTER_COMMIT);
    for (String name : result.deleted()) {
      try {
        Files.deleteIfExists(metricsDir.resolve(name));
      } catch (IOException e) { // recorded: scrapes leave it out, the next fold retries
        LOG.log(Level.WARNING, "cannot delete folded metrics file " + name + ": " + e);
      }
      hook.at(Stage.AFTER_DELETE);
    }
    return result;
  }

  /** Exemplars are not archived: a dead process's side file goes with its live gauges. */
  private void deleteExemplars(String id) {
    String name = MetricFileName.exemplarsName(id);
    if (name == null) {
      return;
    }
    Path path = metricsDir.resolve(name);
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot delete exemplar file " + path + ": " + e);
    }
  }

  private static void deleteLiveGauges(List<Path> files) {
    for (Path path : files) {
      if (MetricFileName.parse(path.getFileName().toString()).isLive()) {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) { // the fold's deletes after the commit retry it
          LOG.log(Level.WARNING, "cannot delete live gauge file " + path + ": " + e);
        }
      }
    }
  }

  /** Clears LMDB reader slots left by dead processes; returns how many. Call after a death. */
  public int checkStaleReaders() {
    ArchiveEnv e = env();
    return e == null ? 0 : e.readerCheck();
  }

  /**
   * A new merge source over this archive, for one {@code DirectoryScraper} (one per scraping
   * thread): it holds the files already folded and feeds the archived entries.
   */
  public MergeSource newMergeSource() {
    return new ArchiveSource(this);
  }

  /** Everything the archive holds, read in one transaction; empty when there is none. */
  public ArchiveContents contents() {
    ArchiveEnv e = usableEnv();
    if (e == null) {
      return ArchiveContents.empty();
    }
    Txn<ByteBuffer> txn = e.beginRead();
    try {
      List<ArchiveContents.Fold> folds = new ArrayList<>();
      forEachWithPrefix(e.db(), txn, ArchiveLayout.FOLD_PREFIX, (k, v) -> {
        try {
          folds.add(fold(k, ArchiveLayout.string(v)));
        } catch (RuntimeException x) {
          throw new ArchiveDamagedException("metrics archive " + folder + ": bad fold record "
              + ArchiveLayout.shown(k));
        }
      });
      List<ArchiveContents.Series> series = new ArrayList<>();
      forEachWithPrefix(e.db(), txn, ArchiveLayout.SERIES_PREFIX, (k, v) -> {
        if (v.remaining() < ArchiveLayout.VALUE_LENGTH) {
          throw new ArchiveDamagedException("metrics archive " + folder + ": series value of "
              + v.remaining() + " bytes");
        }
        ArchiveLayout.SeriesKey key = ArchiveLayout.SeriesKey.parse(k);
        v.order(ArchiveLayout.ORDER);
        boolean sum = MergeRule.of(key.type, key.rule) == MergeRule.SUM; // time: the remainder
        series.add(new ArchiveContents.Series(key.type, gaugeMode(key.rule), key.pid, json(key, v),
            v.getDouble(ArchiveLayout.VALUE_OFFSET),
            sum ? 0.0 : v.getDouble(ArchiveLayout.TIMESTAMP_OFFSET)));
      });
      return new ArchiveContents(folds, series, e.mapSize());
    } finally {
      e.endRead(txn);
    }
  }

  @Override
  public synchronized void close() {
    ArchiveEnv e = env;
    env = null;
    if (e != null) {
      e.close();
    }
  }

  @Override
  public String toString() {
    return "MetricsArchive[" + folder + (readOnly ? ", read-only]" : "]");
  }

  /** How many times a damaged archive was replaced by a fresh one (owner only). */
  int resets() {
    return resets;
  }

  /** The last damage found, in words. */
  String lastDamage() {
    return lastDamage;
  }

  /**
   * The environment after checking its data file and marker: for the owner, a damaged archive is
   * replaced by a fresh one first; a read-only view throws ArchiveDamagedException. Null if none.
   */
  ArchiveEnv usableEnv() {
    ArchiveEnv e = env();
    if (e == null) {
      return null;
    }
    String problem = e.problem();
    if (problem == null) {
      return e;
    }
    if (readOnly) {
      throw new ArchiveDamagedException("metrics archive " + folder + ": " + problem);
    }
    synchronized (this) {
      if (env == e) { // not yet replaced by another thread
        env = null;
        e.close(); // waits for open transactions to end
        replaceDamaged(problem);
      }
      return env;
    }
  }

  /** Moves the damaged archive aside, logs it once, and opens a fresh one (owner only). */
  private synchronized void replaceDamaged(String problem) {
    Path aside = metricsDir.resolve(DAMAGED_FOLDER);
    String where;
    try {
      deleteTree(aside);
      Files.move(folder, aside, StandardCopyOption.ATOMIC_MOVE);
      where = "moved aside to " + aside;
    } catch (IOException | RuntimeException moveFailed) {
      try {
        deleteTree(folder);
        where = "deleted (cannot move it aside: " + moveFailed + ")";
      } catch (IOException | RuntimeException e) {
        throw new IllegalStateException("metrics archive " + folder + " is damaged (" + problem
            + ") and can be neither moved aside nor deleted: " + e, e);
      }
    }
    lastDamage = "metrics archive " + folder + " is damaged (" + problem + "); " + where
        + "; archived counters restart from zero";
    LOG.log(Level.ERROR, lastDamage);
    env = ArchiveEnv.openWritable(folder, initialMapSize);
    resets++;
  }

  /** Deletes {@code root} and what it holds, never following a link. */
  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
        for (Path entry : entries) {
          deleteTree(entry);
        }
      }
    }
    Files.deleteIfExists(root);
  }

  /**
   * The environment; null if none. A read-only view opens it once the archive exists, and opens
   * it again when the archive was replaced (the server restarted and wiped the directory).
   */
  ArchiveEnv env() {
    if (!readOnly) {
      return env;
    }
    Object key = dataFileKey();
    synchronized (this) {
      if (env != null && !Objects.equals(key, envFileKey)) {
        env.close();
        env = null;
      }
      if (env == null && key != null) {
        env = ArchiveEnv.openReadOnly(folder);
        envFileKey = key;
      }
      return env;
    }
  }

  private Object dataFileKey() {
    try {
      return Files.readAttributes(folder.resolve(ArchiveEnv.DATA_FILE), BasicFileAttributes.class)
          .fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /** For tests: {@code hook} runs at each stage of every later fold and may throw. */
  void faultHook(FaultHook hook) {
    this.hook = Objects.requireNonNull(hook);
  }

  /** The stages of a fold at which the fault hook runs. */
  enum Stage {
    /** Inside the write transaction, everything written, before the commit. */
    BEFORE_COMMIT,
    /** Committed, nothing deleted yet. */
    AFTER_COMMIT,
    /** After each file deletion. */
    AFTER_DELETE
  }

  /** Test seam: runs at a fold stage; throwing aborts the fold there. */
  @FunctionalInterface
  interface FaultHook {
    void at(Stage stage);
  }

  /** True when {@code fileName} with this identity was folded (see the protocol above). */
  static boolean isFolded(Dbi<ByteBuffer> db, Txn<ByteBuffer> txn, ByteBuffer keyBuffer,
      String fileName, Object fileKey, FileTime lastModified) {
    ByteBuffer v = db.get(txn, ArchiveLayout.put(keyBuffer,
        ArchiveLayout.fileKey(fileName, fileKey)));
    if (v == null) {
      return false;
    }
    String mtime = ArchiveLayout.fields(ArchiveLayout.string(v)).get("mtime");
    return mtime != null && Long.parseLong(mtime) >= lastModified.to(TimeUnit.NANOSECONDS);
  }

  private List<Path> filesOf(String id) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(metricsDir, "*.db")) {
      for (Path p : stream) {
        MetricFileName name = MetricFileName.parse(p.getFileName().toString());
        if (name != null && name.processId().equals(id)) { // with its stripe files
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + metricsDir, e);
    }
    Collections.sort(out);
    return out;
  }

  /** The body of a fold's write transaction; runs again from scratch if the map was full. */
  private FoldResult foldInTxn(Txn<ByteBuffer> txn, String id, List<Path> files) {
    List<String> folded = new ArrayList<>();
    List<String> already = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    List<String> left = new ArrayList<>();
    for (Path path : files) {
      String name = path.getFileName().toString();
      MetricFileName fileName = MetricFileName.parse(name);
      if (fileName.isLive()) {
        deleted.add(name);
        continue;
      }
      switch (foldFile(txn, path, fileName)) {
        case FOLDED:
          folded.add(name);
          deleted.add(name);
          break;
        case ALREADY_FOLDED:
          already.add(name);
          deleted.add(name);
          break;
        case UNREADABLE:
          left.add(name);
          break;
        default: // vanished: another folder took it
          break;
      }
    }
    recordFold(txn, id, folded, deleted.stream().filter(n -> !folded.contains(n)).toList());
    hook.at(Stage.BEFORE_COMMIT);
    return new FoldResult(id, folded, already, deleted, left);
  }

  private enum Outcome { FOLDED, ALREADY_FOLDED, UNREADABLE, VANISHED }

  private Outcome foldFile(Txn<ByteBuffer> txn, Path path, MetricFileName fileName) {
    String name = path.getFileName().toString();
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return Outcome.VANISHED;
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot fold metrics file " + path + ": " + e);
      return Outcome.UNREADABLE;
    }
    Dbi<ByteBuffer> db = env().db();
    if (isFolded(db, txn, keyBuffer(), name, attrs.fileKey(), attrs.lastModifiedTime())) {
      return Outcome.ALREADY_FOLDED;
    }
    MetricFileReader reader = new MetricFileReader(path, fileName);
    try {
      reader.read(context);
    } catch (MetricFileException e) {
      if (e.reason() == SkipReason.VANISHED) {
        return Outcome.VANISHED;
      }
      if (e.reason() != SkipReason.EMPTY) { // an empty file holds nothing to lose
        LOG.log(Level.WARNING, "cannot fold metrics file " + path + " (" + e.reason().label()
            + "): " + e.detail() + "; left in place");
        return Outcome.UNREADABLE;
      }
    }
    for (int i = 0; i < reader.entryCount(); i++) {
      if (MergeRule.forbidden(fileName.type(), reader.value(i))) {
        continue; // as a scrape leaves it out (see DirectoryScraper)
      }
      addEntry(txn, fileName, reader.key(i), reader.value(i), reader.timestamp(i));
    }
    String record = "mtime=" + attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "\tsize="
        + attrs.size() + "\tpid=" + fileName.processId() + "\tfold=" + (folds(txn) + 1);
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.fileKey(name, attrs.fileKey())),
        value(record));
    return Outcome.FOLDED;
  }

  private void addEntry(Txn<ByteBuffer> txn, MetricFileName file, EntryKey key, double value,
      double timestamp) {
    MergeRule rule = file.mode() == null ? null : file.rule();
    String json = json(key);
    String seriesKey = ArchiveLayout.seriesKey(file.type(), rule,
        rule == MergeRule.ALL ? file.id() : "", json, env().maxKeySize());
    ByteBuffer k = ArchiveLayout.put(keyBuffer(), seriesKey);
    ByteBuffer old = env().db().get(txn, k);
    double v = value;
    double t = file.rule() == MergeRule.SUM ? 0.0 : timestamp; // a sum's remainder starts at 0
    if (old != null) {
      old.order(ArchiveLayout.ORDER);
      double[] merged = merge(file.rule(), old.getDouble(ArchiveLayout.VALUE_OFFSET),
          old.getDouble(ArchiveLayout.TIMESTAMP_OFFSET), value, timestamp);
      v = merged[0];
      t = merged[1];
    }
    byte[] extra = ArchiveLayout.isHashed(seriesKey)
        ? json.getBytes(StandardCharsets.UTF_8) : new byte[0];
    ByteBuffer val = valueBuffer(ArchiveLayout.VALUE_LENGTH + extra.length);
    val.putDouble(ArchiveLayout.VALUE_OFFSET, v).putDouble(ArchiveLayout.TIMESTAMP_OFFSET, t);
    val.position(ArchiveLayout.VALUE_LENGTH);
    val.put(extra).flip();
    env().db().put(txn, k, val);
  }

  /**
   * Combines an archived value and time with a folded one by the series' merge rule; returns the
   * new value and time. A sum's "time" is the remainder of its exact sum (see ArchiveLayout).
   */
  static double[] merge(MergeRule rule, double oldValue, double oldTime, double value,
      double time) {
    if (rule == MergeRule.SUM) {
      double[] high = {oldValue};
      double[] low = {oldTime};
      ExactSum.addRoundingUp(high, low, 0, value); // never below the exact sum; see ExactSum
      return new double[] {high[0], low[0]};
    }
    if (rule == MergeRule.MOSTRECENT) {
      return MergeRule.isNewer(time, oldTime)
          ? new double[] {value, time} : new double[] {oldValue, oldTime};
    }
    return new double[] {rule.combine(oldValue, value), rule == MergeRule.ALL ? time : 0.0};
  }

  /** The public name of an archived gauge rule: the plain (non-live) mode; null for non-gauges. */
  private static GaugeMode gaugeMode(MergeRule rule) {
    return rule == null ? null : GaugeMode.fromFileToken(rule.token());
  }

  private void recordFold(Txn<ByteBuffer> txn, String id, List<String> folded,
      List<String> deletedOnly) {
    long seq = folds(txn) + 1;
    Dbi<ByteBuffer> db = env().db();
    String record = "pid=" + id + "\tat=" + Instant.now(clock) + "\tfolded="
        + String.join(",", folded) + "\tdeleted=" + String.join(",", deletedOnly);
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.foldKey(seq)), value(record));
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.META_FOLDS),
        value(Long.toString(seq)));
    db.put(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.META_FORMAT),
        value(ArchiveLayout.FORMAT));
  }

  private long folds(Txn<ByteBuffer> txn) {
    ByteBuffer v = env().db().get(txn, ArchiveLayout.put(keyBuffer(), ArchiveLayout.META_FOLDS));
    return v == null ? 0 : Long.parseLong(ArchiveLayout.string(v));
  }

  private ByteBuffer keyBuffer() {
    if (keyBuffer == null) {
      keyBuffer = ByteBuffer.allocateDirect(env().maxKeySize());
    }
    return keyBuffer;
  }

  private ByteBuffer valueBuffer(int length) {
    if (valueBuffer.capacity() < length) {
      valueBuffer = ByteBuffer.allocateDirect(Math.max(length, 2 * valueBuffer.capacity()));
    }
    valueBuffer.clear().limit(length);
    return valueBuffer.order(ArchiveLayout.ORDER);
  }

  private ByteBuffer value(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    ByteBuffer val = valueBuffer(bytes.length);
    val.put(bytes).flip();
    return val;
  }

  /** The entry key JSON as prometheus_client writes it. */
  private static String json(EntryKey key) {
    Labels labels = key.labels();
    String[] names = new String[labels.size()];
    String[] values = new String[labels.size()];
    for (int i = 0; i < names.length; i++) {
      names[i] = labels.name(i);
      values[i] = labels.value(i);
    }
    return MetricKey.encode(key.metricName(), key.sampleName(), Arrays.asList(names),
        Arrays.asList(values), key.help());
  }

  /** The JSON of a series: from the key, or from the value when the key is hashed. */
  static String json(ArchiveLayout.SeriesKey key, ByteBuffer value) {
    if (!key.hashed()) {
      return key.jsonOrHash;
    }
    ByteBuffer rest = value.duplicate();
    rest.position(ArchiveLayout.VALUE_LENGTH);
    return ArchiveLayout.string(rest);
  }

  private static ArchiveContents.Fold fold(String key, String record) {
    Map<String, String> f = ArchiveLayout.fields(record);
    return new ArchiveContents.Fold(Long.parseLong(key.substring(key.indexOf('\t') + 1)),
        f.getOrDefault("pid", ""), Instant.parse(f.get("at")), names(f.get("folded")),
        names(f.get("deleted")));
  }

  private static List<String> names(String csv) {
    return csv == null || csv.isEmpty() ? List.of() : List.of(csv.split(","));
  }

  /** Calls {@code each} with every key starting with {@code prefix} and its value, in order. */
  static void forEachWithPrefix(Dbi<ByteBuffer> db, Txn<ByteBuffer> txn, String prefix,
      BiConsumer<String, ByteBuffer> each) {
    ByteBuffer start = ByteBuffer.allocateDirect(prefix.length());
    ArchiveLayout.put(start, prefix);
    try (Cursor<ByteBuffer> c = db.openCursor(txn)) {
      boolean found = c.get(start, GetOp.MDB_SET_RANGE);
      while (found) {
        String k = ArchiveLayout.string(c.key());
        if (!k.startsWith(prefix)) {
          return;
        }
        each.accept(k, c.val());
        found = c.next();
      }
    }
  }
}
