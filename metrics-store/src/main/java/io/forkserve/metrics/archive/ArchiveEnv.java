package io.forkserve.metrics.archive;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import org.lmdbjava.Dbi;
import org.lmdbjava.Env;
import org.lmdbjava.EnvFlags;
import org.lmdbjava.Txn;

/**
 * The LMDB environment of one archive, opened by one process: transactions with retries when
 * the map is full or was grown by another process. Thread-safe.
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
   */

  static final String DATA_FILE = "data.mdb";
  static final String LOCK_FILE = "lock.mdb";
  private static final int FILE_MODE = 0600;
  private static final long MAX_MAP_SIZE = 1L << 40;

  private final ReentrantReadWriteLock resize = new ReentrantReadWriteLock();
  private final Env<ByteBuffer> env;
  private final Dbi<ByteBuffer> db;
  private final boolean readOnly;
  private final int maxKeySize;

  private ArchiveEnv(Env<ByteBuffer> env, boolean readOnly) {
    this.env = env;
    this.readOnly = readOnly;
    this.db = env.openDbi((byte[]) null);
    this.maxKeySize = env.getMaxKeySize();
  }

  /** Opens or creates the environment in {@code folder} (created 0700) for reading and writing. */
  static ArchiveEnv openWritable(Path folder, long initialMapSize) {
    try {
      if (!Files.isDirectory(folder)) {
        Files.createDirectories(folder,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the metrics archive " + folder, e);
    }
    Env<ByteBuffer> env = Env.create().setMapSize(initialMapSize)
        .open(folder.toFile(), FILE_MODE, EnvFlags.MDB_NOTLS, EnvFlags.MDB_NOSYNC);
    return new ArchiveEnv(env, false);
  }

  /** Opens an existing environment read-only, or returns null when {@code folder} holds none. */
  static ArchiveEnv openReadOnly(Path folder) {
    if (!Files.isRegularFile(folder.resolve(DATA_FILE))
        || !Files.isRegularFile(folder.resolve(LOCK_FILE))) {
      return null;
    }
    Env<ByteBuffer> env = Env.create().setMapSize(0)
        .open(folder.toFile(), FILE_MODE, EnvFlags.MDB_NOTLS, EnvFlags.MDB_RDONLY_ENV);
    return new ArchiveEnv(env, true);
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
    return env.info().mapSize;
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

  @Override
  public void close() {
    resize.writeLock().lock();
    try {
      env.close();
    } finally {
      resize.writeLock().unlock();
    }
  }
}
