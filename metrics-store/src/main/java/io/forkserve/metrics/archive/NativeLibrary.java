package io.forkserve.metrics.archive;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Set;

/** Where lmdbjava loads LMDB's native library from: one shared copy per user and content. */
final class NativeLibrary {
  /*
   * Left alone, lmdbjava extracts its bundled library into java.io.tmpdir under a new name in
   * every JVM and deletes it only at a clean exit, so each killed process leaves 361 KB behind.
   * Before the first environment opens (ArchiveEnv's static initialiser), unless the property
   * lmdbjava.native.lib is set already (the system's liblmdb, or any copy the user chose), this
   * class extracts the bundled library once into a private per-user directory (DIR_PROPERTY, or
   * $XDG_CACHE_HOME/forkserve/native, or ~/.cache/forkserve/native; created 0700, refused when
   * it is a symlink or not ours), under a name made of a hash of its content, and sets the
   * property to it. Later JVMs find the copy and extract nothing. A copy is written under a
   * temporary name and renamed into place, so a concurrent or killed extraction never leaves a
   * partial library under the final name. lmdbjava reads the property when its TargetName class
   * is initialised, so this runs before any lmdbjava class is used. When the platform's library
   * is not bundled or the directory cannot be used, lmdbjava's own behaviour stays.
   */

  static final String LMDB_PROPERTY = "lmdbjava.native.lib";
  static final String DIR_PROPERTY = "forkserve.native.dir";

  private static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");

  private NativeLibrary() {}

  /** Sets {@link #LMDB_PROPERTY} to the shared copy, extracting it when absent; best effort. */
  static synchronized void useSharedCopy() {
    if (System.getProperty(LMDB_PROPERTY) != null) {
      return;
    }
    String resource = resourceName();
    if (resource == null) {
      return;
    }
    try (InputStream in = NativeLibrary.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        return;
      }
      byte[] library = in.readAllBytes();
      Path dir = privateDir();
      if (dir == null) {
        return;
      }
      Path target = dir.resolve("lmdb-" + hash(library) + ".so");
      if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)
          || Files.size(target) != library.length) {
        Path partial = Files.createTempFile(dir, ".lmdb-", ".partial");
        try {
          Files.write(partial, library);
          Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(partial);
        }
      }
      System.setProperty(LMDB_PROPERTY, target.toString());
    } catch (IOException | RuntimeException e) {
      // lmdbjava extracts its own copy, as without this class
    }
  }

  /** The bundled library of this platform, as lmdbjava names it, or null when none is bundled. */
  static String resourceName() {
    String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    String cpu;
    if (arch.equals("amd64") || arch.equals("x86_64")) {
      cpu = "x86_64";
    } else if (arch.equals("aarch64") || arch.equals("arm64")) {
      cpu = "aarch64";
    } else {
      return null;
    }
    String system;
    if (os.startsWith("linux")) {
      system = isMusl() ? "linux-musl" : "linux-gnu";
    } else if (os.startsWith("mac")) {
      system = "macos-none";
    } else {
      return null;
    }
    return "org/lmdbjava/native/" + cpu + "-" + system + ".so";
  }

  private static boolean isMusl() {
    try (var entries = Files.list(Path.of("/lib"))) {
      return entries.anyMatch(p -> p.getFileName().toString().startsWith("ld-musl-"));
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** The private directory of the shared copies, created when absent; null when unusable. */
  private static Path privateDir() throws IOException {
    String configured = System.getProperty(DIR_PROPERTY);
    Path dir;
    if (configured != null && !configured.isEmpty()) {
      dir = Path.of(configured);
    } else {
      String cache = System.getenv("XDG_CACHE_HOME");
      Path base =
          cache != null && cache.startsWith("/")
              ? Path.of(cache)
              : Path.of(System.getProperty("user.home"), ".cache");
      dir = base.resolve("forkserve").resolve("native");
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      Files.createDirectories(dir.getParent());
      try {
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
      } catch (FileAlreadyExistsException raced) {
        // another JVM made it: checked below like any existing directory
      }
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        || !ownedByUs(dir)
        || !Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS).equals(PRIVATE_DIR)) {
      return null;
    }
    return dir;
  }

  /** True when {@code dir} belongs to this process's user (by uid where /proc tells it). */
  private static boolean ownedByUs(Path dir) throws IOException {
    Path self = Path.of("/proc/self");
    if (Files.exists(self)) {
      return Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS)
          .equals(Files.getAttribute(self, "unix:uid"));
    }
    return Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS)
        .getName()
        .equals(System.getProperty("user.name"));
  }

  private static String hash(byte[] bytes) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(bytes);
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
