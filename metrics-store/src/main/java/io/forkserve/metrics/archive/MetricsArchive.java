package io.forkserve.metrics.archive;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.merge.MergeSource;
import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.Objects;

/**
 * The archive of dead processes' metrics: an LMDB environment in the metrics directory's {@value
 * MultiprocDirectory#ARCHIVE_FOLDER} folder. The server that owns the directory opens it with
 * {@link #open} (after wiping the directory), calls {@link #fold} for each process confirmed
 * dead, and scrapes through {@link #newMergeSource}; any other process (e.g. {@code bin/metrics
 * merge}) uses {@link #openReadOnly}, which never creates, folds or deletes anything. Thread-safe.
 *
 * <p>This class holds the environment's life (open, damage, replace, reopen) and the protocol
 * below; {@link ProcessFold} folds one process's files, {@link ArchiveWriter} writes the fold's
 * records, {@link ArchiveReader} and {@link ArchiveSource} read them back.
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
  private final long initialMapSize;
  private final ProcessFold fold;
  private volatile int resets;
  private volatile String lastDamage = "";
  private volatile ArchiveEnv env;
  private Object envFileKey;
  private volatile FaultHook hook = stage -> {};

  private MetricsArchive(Path metricsDir, boolean readOnly, Clock clock, ArchiveEnv env,
      long initialMapSize) {
    this.metricsDir = metricsDir;
    this.initialMapSize = initialMapSize;
    this.folder = metricsDir.resolve(MultiprocDirectory.ARCHIVE_FOLDER);
    this.readOnly = readOnly;
    this.env = env;
    this.fold = new ProcessFold(metricsDir, clock);
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
    return fold.fold(id, this::usableEnv, hook);
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
    return ArchiveReader.contents(e, folder);
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
    if (Files.notExists(folder, LinkOption.NOFOLLOW_LINKS)) {
      where = "its folder is gone: the metrics directory was deleted or replaced while in use"
          + " (processes keep writing the series they had into the deleted files, lost to"
          + " scrapes, until they restart)";
    } else {
      where = moveAside(aside, problem);
    }
    lastDamage = "metrics archive " + folder + " is damaged (" + problem + "); " + where
        + "; archived counters restart from zero";
    LOG.log(Level.ERROR, lastDamage);
    env = ArchiveEnv.openWritable(folder, initialMapSize);
    resets++;
  }

  /** Moves the damaged folder to {@code aside} (or deletes it); says which. */
  private String moveAside(Path aside, String problem) {
    String where;
    try {
      MultiprocDirectory.deleteTree(aside);
      Files.move(folder, aside, StandardCopyOption.ATOMIC_MOVE);
      where = "moved aside to " + aside;
    } catch (IOException | RuntimeException moveFailed) {
      try {
        MultiprocDirectory.deleteTree(folder);
        where = "deleted (cannot move it aside: " + moveFailed + ")";
      } catch (RuntimeException e) {
        throw new IllegalStateException("metrics archive " + folder + " is damaged (" + problem
            + ") and can be neither moved aside nor deleted: " + e, e);
      }
    }
    return where;
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
}
