package io.forkserve.metrics.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The LMDB environment of one archive, opened at most once per process and shared by reference
 * count: transactions with retries when the map is full or was grown by another process.
 * Thread-safe.
 */
final class ArchiveEnv implements AutoCloseable {
  /*
   * LMDB's map size may only change while this process has no transaction open, so every
   * transaction runs under the read side of `resize` and a size change takes the write side.
   * MDB_NOTLS ties a reader slot to the transaction, not the thread, so a read transaction may
   * be closed on another thread than the one that opened it and threads may outnumber slots.
   * A write transaction that hits MDB_MAP_FULL is aborted (it changed nothing), the map is
   * doubled, and the whole transaction body runs again: bodies must be repeatable. When another
   * process grew the map, beginning a transaction here fails with MDB_MAP_RESIZED; setting the
   * size to 0 adopts the new size and the transaction is begun again.
   *
   * MDB_NOSYNC: a commit is not flushed to disk. The archive lives only as long as one server
   * run (startup wipes it with the directory); a crashed process loses nothing that way, since
   * its committed pages are in the OS page cache that every process reads. Only an OS crash
   * could lose recent folds, and the next start wipes the archive anyway.
   *
   * LMDB forbids opening one environment twice in a process: closing either handle drops the
   * process's POSIX locks on lock.mdb, and other processes may then take our live reader slots
   * for stale ones. So environments are kept in OPEN, keyed by folder and data file identity
   * (a wiped and recreated archive is a new environment), and shared; the last release closes.
   *
   * Hostile files: LMDB maps data.mdb, so a page it reads past the end of a truncated file is a
   * SIGBUS. ArchiveFile checks the file with positional reads before it is mapped and again
   * before every transaction (under the read side of `resize`, so no close runs meanwhile), and
   * `problem()` adds the format marker; a failed check throws ArchiveDamagedException.
   *
   * Full disk: LMDB sizes lock.mdb with ftruncate and writes its header and reader slots through
   * a shared mapping, so on a full filesystem its first write to a page is a SIGBUS that kills
   * the process. A new lock file is therefore written out with real bytes first (LOCK_BYTES, more
   * than MAX_READERS slots need, so LMDB keeps its size): a full disk then fails that write with
   * an IOException and the open with one clear message. The server's archive is always new (start-up
   * wipes the directory), so its lock file is always written this way.
   */

  static {
    NativeLibrary.useSharedCopy();
  }

  /** Open environments of this process; guarded by ArchiveEnv.class. */
  private static final Map<List<Object>, ArchiveEnv> OPEN = new HashMap<>();

  static final String DATA_FILE = "data.mdb";
  static final String LOCK_FILE = "lock.mdb";
  private static final int FILE_MODE = 0600;
  private static final long MAX_MAP_SIZE = 1L << 40;
  private static final int MAX_READERS = 1024;
  /** MAX_READERS reader slots of 64 bytes each, the header, and a page to spare. */
  private static final int LOCK_BYTES = MAX_READERS * 64 + 8192;

  private final ReentrantReadWriteLock resize = new ReentrantReadWriteLock();
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> db;
  private final boolean readOnly;
  private final int maxKeySize;
  private final Path folder;
  private final Object dataKey;
  /** The largest size of data.mdb seen: LMDB never shrinks it, so a smaller one was cut. */
  private final AtomicLong largestSize = new AtomicLong();
  private List<Object> registryKey;
  private int refs = 1;

  private ArchiveEnv(Env<ByteBuffer> env, boolean readOnly, Path folder, Object dataKey) {
    this.env = env;
    this.folder = folder;
    this.dataKey = dataKey;
    this.readOnly = readOnly;
    this.db = env.openDbi((byte[]) null);
    this.maxKeySize = env.getMaxKeySize();
  }

  /**
   * Opens or creates the environment in {@code folder} (created 0700) for reading and writing,
   * or shares the one this process already has open for writing.
   *
   * @throws IllegalStateException when this process has it open read-only
   */
  static synchronized ArchiveEnv openWritable(Path folder, long initialMapSize) {
    ArchiveEnv open = OPEN.get(key(folder));
    if (open != null) {
      if (open.readOnly) {
        throw new IllegalStateException("metrics archive " + folder
            + " is open read-only in this process; close that view before opening it to fold");
      }
      open.refs++;
      return open;
    }
    try {
      if (!Files.isDirectory(folder)) {
        Files.createDirectories(folder,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the metrics archive " + folder, e);
    }
    String problem = ArchiveFile.problem(folder, null);
    if (problem != null) {
      throw new ArchiveDamagedException("metrics archive " + folder + ": " + problem);
    }
    try {
      allocateLockFile(folder.resolve(LOCK_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the metrics archive " + folder, e);
    }
    Env<ByteBuffer> env = Env.create().setMapSize(initialMapSize).setMaxReaders(MAX_READERS)
        .open(folder.toFile(), FILE_MODE, EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC);
    return register(new ArchiveEnv(env, false, folder, dataKey(folder)), folder);
  }

  /**
   * Opens an existing environment read-only, or shares the one this process has open; returns
   * null when {@code folder} holds none.
   */
  static synchronized ArchiveEnv openReadOnly(Path folder) {
    if (!Files.isRegularFile(folder.resolve(LOCK_FILE))) {
      return null;
    }
    List<Object> key = key(folder);
    if (key == null) {
      return null;
    }
    ArchiveEnv open = OPEN.get(key);
    if (open != null) {
      open.refs++;
      return open;
    }
    String problem = ArchiveFile.problem(folder, null);
    if (problem != null) {
      throw new ArchiveDamagedException("metrics archive " + folder + ": " + problem);
    }
    Env<ByteBuffer> env = Env.create().setMapSize(0)
        .open(folder.toFile(), FILE_MODE, EnvFlags.MDB_NOTLS, EnvFlags.MDB_RDONLY_ENV);
    return register(new ArchiveEnv(env, true, folder, dataKey(folder)), folder);
  }

  /** Writes a new lock file's every byte, so that no page of it is left to allocate later. */
  private static void allocateLockFile(Path lock) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(lock,
          Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (FileAlreadyExistsException e) {
      return; // opened before: LMDB wrote its pages then
    }
    try (channel) {
      ByteBuffer zeros = ByteBuffer.allocate(LOCK_BYTES);
      while (zeros.hasRemaining()) {
        channel.write(zeros);
      }
      channel.force(false);
    } catch (IOException e) {
      Files.deleteIfExists(lock);
      throw e;
    }
  }

  private static ArchiveEnv register(ArchiveEnv env, Path folder) {
    env.registryKey = key(folder);
    OPEN.put(env.registryKey, env);
    return env;
  }

  private static Object dataKey(Path folder) {
    try {
      return Files.readAttributes(folder.resolve(DATA_FILE), BasicFileAttributes.class,
          LinkOption.NOFOLLOW_LINKS).fileKey();
    } catch (IOException e) {
      return null;
    }
  }

  /**
   * What is wrong with this environment's data file now (see ArchiveFile), or with its format
   * marker; null when it is sound. Never maps a page the file does not hold.
   */
  String problem() {
    resize.readLock().lock();
    try {
      String problem = ArchiveFile.problem(folder, dataKey, largestSize);
      if (problem != null) {
        return problem;
      }
      try (Txn<ByteBuffer> txn = env.txnRead()) {
        return markerProblem(txn);
      } catch (Dbi.MapResizedException e) {
        return null; // grown by another process: the next transaction adopts the size
      }
    } finally {
      resize.readLock().unlock();
    }
  }

  /** Null when the format marker is ours, or absent from an archive with no folds yet. */
  private String markerProblem(Txn<ByteBuffer> txn) {
    ByteBuffer key = ByteBuffer.allocateDirect(ArchiveLayout.META_FORMAT.length());
    ByteBuffer marker = db.get(txn, ArchiveLayout.put(key, ArchiveLayout.META_FORMAT));
    if (marker == null) {
      return db.stat(txn).entries == 0 ? null : "data.mdb has records but no format marker";
    }
    if (marker.remaining() > 64 || !ArchiveLayout.FORMAT.equals(ArchiveLayout.string(marker))) {
      return "data.mdb has format marker \""
          + ArchiveLayout.shown(ArchiveLayout.string(marker.limit(marker.position()
              + Math.min(64, marker.remaining())))) + "\", not \"" + ArchiveLayout.FORMAT + "\"";
    }
    return null;
  }

  private void checkFile() {
    String problem = ArchiveFile.problem(folder, dataKey, largestSize);
    if (problem != null) {
      throw new ArchiveDamagedException("metrics archive " + folder + ": " + problem);
    }
  }

  /** The folder and its data file's identity, or null when there is no data file. */
  private static List<Object> key(Path folder) {
    try {
      Object dataFile = Files.readAttributes(folder.resolve(DATA_FILE), BasicFileAttributes.class)
          .fileKey();
      return List.of(folder.toAbsolutePath().normalize().toString(), String.valueOf(dataFile));
    } catch (IOException e) {
      return null;
    }
  }

  boolean readOnly() {
    return readOnly;
  }

  Dbi<ByteBuffer> db() {
    return db;
  }

  /** The longest key LMDB accepts, in bytes. */
  int maxKeySize() {
    return maxKeySize;
  }

  long mapSize() {
    resize.readLock().lock();
    try {
      checkFile();
      return env.info().mapSize;
    } finally {
      resize.readLock().unlock();
    }
  }

  /** Clears reader slots of dead processes; returns how many were cleared. */
  int readerCheck() {
    resize.readLock().lock();
    try {
      return env.readerCheck();
    } finally {
      resize.readLock().unlock();
    }
  }

  /**
   * Runs {@code body} in a write transaction and commits it, growing the map and running the
   * body again when the map is full. An exception from the body aborts the transaction.
   */
  <R> R write(Function<Txn<ByteBuffer>, R> body) {
    while (true) {
      boolean full;
      resize.readLock().lock();
      try {
        checkFile();
      } catch (RuntimeException e) {
        resize.readLock().unlock();
        throw e;
      }
      try (Txn<ByteBuffer> txn = env.txnWrite()) {
        R result = body.apply(txn);
        txn.commit();
        return result;
      } catch (Env.MapFullException e) {
        full = true;
      } catch (Dbi.MapResizedException e) {
        full = false;
      } finally {
        resize.readLock().unlock();
      }
      resizeMap(full);
    }
  }

  /**
   * Begins a read transaction and holds the read side of the resize lock until {@link
   * #endRead}; the caller must call it on the same thread.
   */
  Txn<ByteBuffer> beginRead() {
    while (true) {
      resize.readLock().lock();
      try {
        checkFile();
        return env.txnRead();
      } catch (Dbi.MapResizedException e) {
        resize.readLock().unlock();
        resizeMap(false);
      } catch (RuntimeException e) {
        resize.readLock().unlock();
        throw e;
      }
    }
  }

  void endRead(Txn<ByteBuffer> txn) {
    try {
      txn.close();
    } finally {
      resize.readLock().unlock();
    }
  }

  private void resizeMap(boolean grow) {
    resize.writeLock().lock();
    try {
      if (!grow) {
        env.setMapSize(0); // adopt the size another process set
        return;
      }
      long size = env.info().mapSize;
      if (size >= MAX_MAP_SIZE) {
        throw new IllegalStateException("metrics archive map is full at " + size + " bytes");
      }
      env.setMapSize(Math.min(MAX_MAP_SIZE, size * 2));
    } finally {
      resize.writeLock().unlock();
    }
  }

  /** Drops one reference; the last closes the environment. */
  @Override
  public void close() {
    synchronized (ArchiveEnv.class) {
      if (--refs > 0) {
        return;
      }
      OPEN.remove(registryKey);
      closeEnv(); // under the class lock, so no second handle opens while this one closes
    }
  }

  private void closeEnv() {
    resize.writeLock().lock();
    try {
      env.close();
    } finally {
      resize.writeLock().unlock();
    }
  }
}
