package io.forkserve.metrics.directory;

import io.forkserve.metrics.file.MetricFileName;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A multiprocess metrics directory owned by one server: validated, created when missing, and held
 * with an exclusive lock so that a second server cannot share it (prometheus_client #823). Only the
 * supervising process uses this class; its methods are thread-safe.
 *
 * <p>It deletes only the files this format owns: {@code counter_*.db}, {@code gauge_*_*.db}, {@code
 * histogram_*.db}, {@code summary_*.db} and the {@value #ARCHIVE_FOLDER} folder. Any other file a
 * user keeps in the directory survives.
 */
public final class MultiprocDirectory implements Closeable {
  /*
   * Locking: an fcntl lock (FileChannel.tryLock) on LOCK_FILE, held for the life of this object;
   * the kernel drops it when the process dies, so a crashed server never blocks the next one.
   * The holder writes its pid into the file after locking, for the error message of the next
   * contender. POSIX locks belong to the process, and closing ANY descriptor of the file
   * releases them: so this JVM never opens the lock file of a directory it already holds
   * (LOCKED_HERE), and the contender reads the pid through the channel it tried to lock with.
   */

  /** forkserve's own archive folder inside the directory; wiped with the metric files. */
  public static final String ARCHIVE_FOLDER = "forkserve-archive";

  /** The lock file; never deleted by {@link #wipe()}. */
  public static final String LOCK_FILE = "forkserve.lock";

  /** The globs {@code counter_*.db}, {@code gauge_*_*.db}, {@code histogram_*.db}, ... */
  private static final Pattern OWNED =
      Pattern.compile("(?:counter_|histogram_|summary_|gauge_.*_).*\\.db", Pattern.DOTALL);

  /** prometheus_client's {@code gauge_live*_PID.db}. */
  private static final Pattern LIVE_GAUGE = Pattern.compile("gauge_live.*\\.db", Pattern.DOTALL);

  private static final Set<Path> LOCKED_HERE = new HashSet<>();

  private final Path path;
  private final FileChannel lockChannel;
  private final FileLock lock;

  private MultiprocDirectory(Path path, FileChannel lockChannel, FileLock lock) {
    this.path = path;
    this.lockChannel = lockChannel;
    this.lock = lock;
  }

  /**
   * Checks that {@code dir} is a writable directory, creating it (mode 0700) when missing. Returns
   * the absolute path.
   */
  public static Path validate(Path dir) {
    Path abs = dir.toAbsolutePath().normalize();
    if (Files.notExists(abs, LinkOption.NOFOLLOW_LINKS)) {
      create(abs);
    }
    if (!Files.isDirectory(abs)) {
      throw new MultiprocDirectoryException(
          "metrics directory "
              + abs
              + " is not a directory: point METRICS_MULTIPROC_DIR at a"
              + " directory");
    }
    probeWritable(abs);
    return abs;
  }

  private static void create(Path abs) {
    try {
      Files.createDirectories(
          abs, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.setPosixFilePermissions(abs, PosixFilePermissions.fromString("rwx------"));
    } catch (IOException e) {
      throw new MultiprocDirectoryException(
          "cannot create metrics directory " + abs + ": " + describe(e), e);
    }
  }

  /** Creating a file is the only reliable test: access(2) says yes to root on a read-only dir. */
  private static void probeWritable(Path abs) {
    try {
      Path probe = Files.createTempFile(abs, ".forkserve-probe-", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new MultiprocDirectoryException(
          "metrics directory " + abs + " is not writable: " + describe(e), e);
    }
  }

  /**
   * Validates {@code dir} (see {@link #validate}) and takes its exclusive lock, or fails with a
   * one-line message naming the pid that holds it.
   */
  public static MultiprocDirectory lock(Path dir) {
    Path abs = validate(dir);
    synchronized (LOCKED_HERE) {
      if (LOCKED_HERE.contains(abs)) {
        throw lockedBy(abs, Long.toString(ProcessHandle.current().pid()) + ", this process");
      }
      MultiprocDirectory held = acquire(abs);
      LOCKED_HERE.add(abs);
      return held;
    }
  }

  private static MultiprocDirectory acquire(Path abs) {
    Path lockFile = abs.resolve(LOCK_FILE);
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              lockFile,
              Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      FileLock lock = tryLock(channel);
      if (lock == null) {
        String holder = readHolder(channel);
        channel.close();
        throw lockedBy(abs, holder);
      }
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)),
          0);
      return new MultiprocDirectory(abs, channel, lock);
    } catch (IOException e) {
      closeQuietly(channel);
      throw new MultiprocDirectoryException(
          "cannot lock metrics directory "
              + abs
              + " ("
              + lockFile.getFileName()
              + "): "
              + describe(e),
          e);
    }
  }

  private static FileLock tryLock(FileChannel channel) throws IOException {
    try {
      return channel.tryLock();
    } catch (OverlappingFileLockException e) {
      return null;
    }
  }

  private static String readHolder(FileChannel channel) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(32);
    channel.read(buf, 0);
    String pid = new String(buf.array(), 0, buf.position(), StandardCharsets.UTF_8).trim();
    return pid.matches("[0-9]+") ? pid : "unknown";
  }

  private static MultiprocDirectoryException lockedBy(Path abs, String holder) {
    return new MultiprocDirectoryException(
        "metrics directory "
            + abs
            + " is in use by another forkserve server (pid "
            + holder
            + "): give each server its own METRICS_MULTIPROC_DIR");
  }

  /** The directory, absolute. */
  public Path path() {
    return path;
  }

  /** True for the names of files this format owns ({@code counter_123.db}, ...). */
  public static boolean isMetricFileName(String fileName) {
    return OWNED.matcher(fileName).matches();
  }

  /**
   * Deletes every metric file this format owns and the archive folder, and nothing else. Returns
   * what was deleted.
   */
  public synchronized List<Path> wipe() {
    List<Path> deleted = deleteFiles(name -> OWNED.matcher(name).matches());
    Path archive = path.resolve(ARCHIVE_FOLDER);
    if (Files.isDirectory(archive, LinkOption.NOFOLLOW_LINKS)) {
      deleteTree(archive);
      deleted.add(archive);
    }
    return deleted;
  }

  /**
   * Deletes every metric file of {@code pid} (counters, histograms, summaries, all gauges, and
   * the stripe files {@code TYPE_PIDsN.db} of the additive types).
   */
  public synchronized List<Path> deleteProcessFiles(long pid) {
    return deleteFiles(name -> OWNED.matcher(name).matches() && hasPid(name, pid));
  }

  /**
   * Deletes only the {@code gauge_live*} files of {@code pid}, as prometheus_client's {@code
   * mark_process_dead} does.
   */
  public synchronized List<Path> deleteLiveGaugeFiles(long pid) {
    return deleteFiles(name -> LIVE_GAUGE.matcher(name).matches() && hasPid(name, pid));
  }

  private static boolean hasPid(String fileName, long pid) {
    MetricFileName name = MetricFileName.parse(fileName);
    return fileName.endsWith("_" + pid + ".db")
        || (name != null && name.processId().equals(Long.toString(pid)));
  }

  private List<Path> deleteFiles(Predicate<String> selected) {
    List<Path> deleted = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
      for (Path entry : entries) {
        if (selected.test(entry.getFileName().toString())
            && !Files.isDirectory(entry, LinkOption.NOFOLLOW_LINKS)) {
          deleteIfExists(entry);
          deleted.add(entry);
        }
      }
    } catch (IOException e) {
      throw new MultiprocDirectoryException(
          "cannot list metrics directory " + path + ": " + describe(e), e);
    }
    return deleted;
  }

  private static void deleteIfExists(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new MultiprocDirectoryException("cannot delete " + file + ": " + describe(e), e);
    }
  }

  private static void deleteTree(Path root) {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null && !(e instanceof NoSuchFileException)) {
                throw e;
              }
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException e) {
      throw new MultiprocDirectoryException("cannot delete " + root + ": " + describe(e), e);
    }
  }

  /** Releases the lock. The lock file stays; the next server takes it over. */
  @Override
  public void close() {
    synchronized (LOCKED_HERE) {
      if (!lockChannel.isOpen()) {
        return;
      }
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        throw new MultiprocDirectoryException(
            "cannot release lock on " + path + ": " + describe(e), e);
      } finally {
        LOCKED_HERE.remove(path);
      }
    }
  }

  @Override
  public String toString() {
    return "MultiprocDirectory[" + path + "]";
  }

  private static String describe(Exception e) {
    String reason = e.getMessage();
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException) {
      String r = ((java.nio.file.FileSystemException) e).getReason();
      return r != null ? r : e.getClass().getSimpleName();
    }
    return reason != null ? reason : e.getClass().getSimpleName();
  }

  private static void closeQuietly(FileChannel channel) {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // already failing; the first error is the one to report
      }
    }
  }
}
