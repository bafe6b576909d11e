package io.forkserve.metrics.directory;

import io.forkserve.metrics.internal.file.FileLayout;
import io.forkserve.metrics.internal.file.MetricFileName;
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
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A multiprocess metrics directory owned by one server: validated, created when missing, and held
 * with an exclusive lock so that a second server cannot share it (prometheus_client #823). Only the
 * supervising process uses this class; its methods are thread-safe.
 *
 * <p>It deletes only files a metrics writer produces ({@link MetricFileName#parseWriterName}:
 * {@code counter_PID.db}, {@code gauge_MODE_PID.db}, stripes {@code counter_PIDsN.db}, ...) whose
 * first bytes are a metric file header, and the {@value #ARCHIVE_FOLDER} folder. Any other file a
 * user keeps in the directory survives. It never follows a symbolic link inside the directory.
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
   * Checks that {@code dir} is a writable directory owned by this process's user and not writable
   * by group or others (as ssh checks its files), creating it (mode 0700) when missing. Returns
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

  /** Refuses a directory other users could write to: they could plant or swap metric files. */
  private static void checkOwnerAndMode(Path abs, UserPrincipal us) throws IOException {
    PosixFileAttributes attrs;
    try {
      attrs = Files.readAttributes(abs, PosixFileAttributes.class);
    } catch (UnsupportedOperationException e) {
      return; // no POSIX permissions on this file system
    }
    Set<PosixFilePermission> mode = attrs.permissions();
    if (mode.contains(PosixFilePermission.GROUP_WRITE)
        || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      throw new MultiprocDirectoryException(
          "metrics directory "
              + abs
              + " is writable by group or others ("
              + PosixFilePermissions.toString(mode)
              + "): run chmod go-w on it or use a private directory");
    }
    if (!attrs.owner().equals(us)) {
      throw new MultiprocDirectoryException(
          "metrics directory "
              + abs
              + " belongs to "
              + attrs.owner().getName()
              + ", not to "
              + us.getName()
              + ": use a directory of your own");
    }
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

  /**
   * Creating a file is the only reliable test: access(2) says yes to root on a read-only dir. The
   * probe's owner is this process's user, which the directory's owner must be.
   */
  private static void probeWritable(Path abs) {
    UserPrincipal us;
    try {
      Path probe = Files.createTempFile(abs, ".forkserve-probe-", ".tmp");
      us = Files.getOwner(probe, LinkOption.NOFOLLOW_LINKS);
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new MultiprocDirectoryException(
          "metrics directory " + abs + " is not writable: " + describe(e), e);
    }
    try {
      checkOwnerAndMode(abs, us);
    } catch (IOException e) {
      throw new MultiprocDirectoryException(
          "cannot read the owner and mode of metrics directory " + abs + ": " + describe(e), e);
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
    refuseLink(abs, lockFile);
    FileChannel channel = null;
    try {
      channel =
          FileChannel.open(
              lockFile,
              Set.<OpenOption>of(
                  StandardOpenOption.CREATE,
                  StandardOpenOption.READ,
                  StandardOpenOption.WRITE,
                  LinkOption.NOFOLLOW_LINKS),
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

  /**
   * Refuses a symbolic link or other non-regular file where a file or folder of ours belongs: the
   * server would write or delete outside the directory through it. Opening with no-follow closes
   * the race left between this check and the open.
   */
  private static void refuseLink(Path abs, Path ours) {
    if (Files.isSymbolicLink(ours)) {
      throw new MultiprocDirectoryException(
          "metrics directory "
              + abs
              + " holds a symbolic link named "
              + ours.getFileName()
              + ": forkserve never follows links there; remove it");
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

  /**
   * Deletes every metric file a writer produced and the archive folder, and nothing else. Returns
   * what was deleted. Refuses (throws) when the archive folder is a symbolic link.
   */
  public synchronized List<Path> wipe() {
    Path archive = path.resolve(ARCHIVE_FOLDER);
    refuseLink(path, archive);
    List<Path> deleted = deleteFiles(name -> true);
    deleted.addAll(deleteExemplarFiles(pid -> true));
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
    List<Path> deleted = deleteFiles(name -> name.isWrittenBy(pid));
    deleted.addAll(deleteExemplarFiles(p -> p == pid));
    return deleted;
  }

  /** Deletes the exemplar side files ({@code exemplars_PID.ex}) of the selected pids. */
  private List<Path> deleteExemplarFiles(java.util.function.LongPredicate selected) {
    List<Path> deleted = new ArrayList<>();
    try (DirectoryStream<Path> entries =
        Files.newDirectoryStream(path, MetricFileName.EXEMPLARS_GLOB)) {
      for (Path entry : entries) {
        long pid = MetricFileName.exemplarsPid(entry.getFileName().toString());
        if (pid > 0 && selected.test(pid)) {
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

  /**
   * Deletes the entries with a writer name that {@code selected} accepts and that are a metric
   * file (or a symbolic link: removing the link leaves its target alone).
   */
  private List<Path> deleteFiles(Predicate<MetricFileName> selected) {
    List<Path> deleted = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(path)) {
      for (Path entry : entries) {
        MetricFileName name = MetricFileName.parseWriterName(entry.getFileName().toString());
        if (name != null && selected.test(name) && isMetricFileOrLink(entry)) {
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

  /**
   * True for a symbolic link, and for a regular file that is empty or starts with a metric file
   * header ({@code used} between the header length and the file size): a user's {@code
   * summary_2024.db} database has a writer name but not this header.
   */
  private static boolean isMetricFileOrLink(Path entry) throws IOException {
    BasicFileAttributes attrs =
        Files.readAttributes(entry, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (attrs.isSymbolicLink()) {
      return true;
    }
    if (!attrs.isRegularFile()) {
      return false;
    }
    if (attrs.size() == 0) {
      return true;
    }
    if (attrs.size() < FileLayout.HEADER_LENGTH) {
      return false;
    }
    ByteBuffer header = ByteBuffer.allocate(FileLayout.HEADER_LENGTH).order(FileLayout.ORDER);
    try (FileChannel channel =
        FileChannel.open(entry, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      while (header.hasRemaining() && channel.read(header) >= 0) {
        // read the whole header
      }
    } catch (NoSuchFileException e) {
      return false;
    }
    long used = header.getInt(FileLayout.USED_OFFSET) & 0xffffffffL;
    return !header.hasRemaining() && used >= FileLayout.HEADER_LENGTH && used <= attrs.size();
  }

  private static void deleteIfExists(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      throw new MultiprocDirectoryException("cannot delete " + file + ": " + describe(e), e);
    }
  }

  /**
   * Deletes {@code root} and everything under it without following symbolic links (a link is
   * removed, its target left alone); a missing {@code root} is no error.
   *
   * @throws MultiprocDirectoryException naming the first entry that could not be deleted
   */
  public static void deleteTree(Path root) {
    if (Files.notExists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
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
