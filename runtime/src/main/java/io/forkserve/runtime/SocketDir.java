package io.forkserve.runtime;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The directory holding the workers' Unix domain socket, in the temp dir (paths of sockets must
 * stay short), owned through a lock its server holds for its whole life. Directories that servers
 * killed with SIGKILL left behind are removed at the next start.
 */
final class SocketDir {
  /*
   * Ownership. A server creates its own directory and in it the file LOCK, on which it holds an
   * exclusive lock (FileChannel.tryLock) until delete(); the kernel drops the lock when the
   * process dies, SIGKILL included. A starting server judges the other directories by their lock
   * alone and never connects to their sockets (a worker socket belongs to its server: a probe
   * there reaches that server's accept loop as a worker that hangs up). A directory is removed
   * only when it is older than ABANDONED_AFTER (so one being created is safe), has a LOCK file,
   * and that lock can be taken: then its owner is dead, and the files go while the lock is held.
   * A directory without a LOCK file (an older version's) is left alone. File locks belong to the
   * whole JVM, and closing any channel to a file drops the JVM's locks on it, so the directories
   * this JVM holds (tests run several servers in one) are skipped without opening their LOCK.
   */
  static final String PREFIX = "forkserve-sock-";
  static final String SOCKET = "workers.sock";
  static final String LOCK = "owner.lock";
  static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

  private static final Set<Path> HELD_HERE = ConcurrentHashMap.newKeySet();

  final Path dir;
  final Path socket;
  private final FileChannel lock;

  private SocketDir(Path dir, FileChannel lock) {
    this.dir = dir;
    this.socket = dir.resolve(SOCKET);
    this.lock = lock;
  }

  /** Creates a fresh directory in the temp dir, locks it and binds {@code server} to its socket. */
  static SocketDir bind(ServerSocketChannel server) throws IOException {
    return bind(server, Path.of(System.getProperty("java.io.tmpdir")));
  }

  static SocketDir bind(ServerSocketChannel server, Path parent) throws IOException {
    removeAbandoned(parent);
    Path dir = key(Files.createTempDirectory(parent, PREFIX));
    HELD_HERE.add(dir);
    FileChannel lock = null;
    try {
      lock =
          FileChannel.open(
              dir.resolve(LOCK), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      if (lock.tryLock() == null) {
        throw new IOException("cannot lock " + dir.resolve(LOCK));
      }
      SocketDir created = new SocketDir(dir, lock);
      server.bind(UnixDomainSocketAddress.of(created.socket));
      return created;
    } catch (IOException | RuntimeException e) {
      try {
        new SocketDir(dir, lock).delete();
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Removes the directories in {@code parent} whose servers are dead; see the class comment. */
  static void removeAbandoned(Path parent) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PREFIX + "*")) {
      for (Path dir : dirs) {
        removeIfAbandoned(key(dir));
      }
    } catch (IOException e) {
      // cannot list: leave them
    }
  }

  private static void removeIfAbandoned(Path dir) {
    Path lockFile = dir.resolve(LOCK);
    try {
      if (HELD_HERE.contains(dir) || !Files.isRegularFile(lockFile)) {
        return;
      }
      Instant touched = Files.getLastModifiedTime(dir).toInstant();
      if (touched.plus(ABANDONED_AFTER).isAfter(Instant.now())) {
        return;
      }
      try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE);
          FileLock held = channel.tryLock()) {
        if (held != null) {
          deleteFiles(dir);
        }
      }
    } catch (IOException | OverlappingFileLockException e) {
      // another user's, or in use: leave it
    }
  }

  /** Removes the socket file, the lock file and the directory, then releases the lock. */
  void delete() throws IOException {
    try {
      deleteFiles(dir);
    } finally {
      if (lock != null) {
        lock.close();
      }
      HELD_HERE.remove(dir);
    }
  }

  private static void deleteFiles(Path dir) throws IOException {
    Files.deleteIfExists(dir.resolve(SOCKET));
    Files.deleteIfExists(dir.resolve(LOCK));
    Files.deleteIfExists(dir);
  }

  private static Path key(Path dir) {
    return dir.toAbsolutePath().normalize();
  }
}
