package io.forkserve.metrics.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiprocDirectoryTest {
  @TempDir Path tmp;

  /** Empty files: a writer's file before its first allocation. */
  private static void touch(Path dir, String... names) throws IOException {
    for (String name : names) {
      Files.write(dir.resolve(name), new byte[0]);
    }
  }

  /** A metric file with a header and no entries, as a writer leaves it. */
  private static byte[] emptyMetricFile() {
    return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 8).array();
  }

  /** Files with text in them, which no metric file starts with. */
  private static void text(Path dir, String... names) throws IOException {
    for (String name : names) {
      Files.write(dir.resolve(name), name.getBytes(StandardCharsets.UTF_8));
    }
  }

  private static Set<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
    }
  }

  static void assertOneLine(MultiprocDirectoryException e, String fragment) {
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void missingDirectory_isCreatedWithMode0700() throws IOException {
    Path dir = tmp.resolve("a/b/metrics");
    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      assertEquals(dir, d.path());
    }
    assertTrue(Files.isDirectory(dir));
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(
            Files.getPosixFilePermissions(dir.resolve(MultiprocDirectory.LOCK_FILE))));
  }

  @Test
  void wipe_removesOnlyTheFilesThisFormatOwns() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    touch(
        dir,
        "counter_1.db",
        "histogram_2.db",
        "summary_3.db",
        "gauge_all_4.db",
        "gauge_livesum_5.db",
        "gauge_mostrecent_6.db");
    Files.write(dir.resolve("counter_1s2.db"), emptyMetricFile());
    touch(
        dir,
        "counter_12_x.db",
        "counter_notes.db",
        "gauge_my_settings.db",
        "summary_0123.db",
        "gauge_all_4s1.db",
        "notes.db",
        "counter.txt",
        "counter_1.db.bak",
        "gauge_7.db",
        "app.sqlite",
        "histogram.db",
        "Counter_1.db",
        "README",
        "summary_3.dbx");
    Files.createDirectories(dir.resolve("sub/deeper"));
    text(dir, "summary_2024.db", "histogram_55.db");
    touch(dir.resolve("sub"), "counter_9.db");
    Files.createDirectory(dir.resolve("counter_99.db"));
    Files.createDirectories(dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER).resolve("data"));
    touch(dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER).resolve("data"), "data.mdb");

    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      assertEquals(8, d.wipe().size());
    }
    assertEquals(
        new TreeSet<>(
            List.of(
                "counter_12_x.db",
                "counter_notes.db",
                "gauge_my_settings.db",
                "summary_0123.db",
                "gauge_all_4s1.db",
                "summary_2024.db",
                "histogram_55.db",
                "notes.db",
                "counter.txt",
                "counter_1.db.bak",
                "gauge_7.db",
                "app.sqlite",
                "histogram.db",
                "Counter_1.db",
                "README",
                "summary_3.dbx",
                "sub",
                "counter_99.db",
                MultiprocDirectory.LOCK_FILE)),
        names(dir));
    assertEquals(Set.of("counter_9.db", "deeper"), names(dir.resolve("sub")));
  }

  @Test
  void deleteProcessFiles_deletesEveryWriterFileOfThePid() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    touch(
        dir,
        "counter_7.db",
        "histogram_7.db",
        "summary_7.db",
        "histogram_7s1.db",
        "counter_7s3.db",
        "gauge_all_7.db",
        "gauge_liveall_7.db",
        "gauge_livemostrecent_7.db",
        "counter_17.db",
        "counter_17s1.db",
        "gauge_liveall_17.db",
        "notes_7.db");
    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      assertEquals(8, d.deleteProcessFiles(7).size());
    }
    assertEquals(
        Set.of("counter_17.db", "counter_17s1.db", "gauge_liveall_17.db", "notes_7.db",
            MultiprocDirectory.LOCK_FILE),
        names(dir));
  }

  @Test
  void notADirectory_oneClearLine() throws IOException {
    Path file = Files.writeString(tmp.resolve("plain.txt"), "x");
    MultiprocDirectoryException e =
        assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.validate(file));
    assertOneLine(e, file + " is not a directory");
  }

  @Test
  void secondLockInTheSameProcess_isRefusedAndTheFirstKeepsIt() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    try (MultiprocDirectory first = MultiprocDirectory.lock(dir)) {
      assertEquals(dir, first.path());
      MultiprocDirectoryException e =
          assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.lock(dir));
      assertOneLine(e, "in use by another forkserve server (pid " + ProcessHandle.current().pid());
      assertEquals(
          ProcessHandle.current().pid() + "\n",
          Files.readString(dir.resolve(MultiprocDirectory.LOCK_FILE)));
    }
    MultiprocDirectory.lock(dir).close();
  }

  @Test
  void lockFileSymlink_isRefusedAndItsTargetKept() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Path target = Files.writeString(tmp.resolve("precious.txt"), "keep me\n");
    Files.createSymbolicLink(dir.resolve(MultiprocDirectory.LOCK_FILE), target);
    MultiprocDirectoryException e =
        assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.lock(dir));
    assertOneLine(e, "symbolic link named " + MultiprocDirectory.LOCK_FILE);
    assertEquals("keep me\n", Files.readString(target));
  }

  @Test
  void archiveFolderSymlink_isRefusedByTheWipeAndItsTargetKept() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    touch(elsewhere, "data.mdb");
    Files.createSymbolicLink(dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER), elsewhere);
    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      MultiprocDirectoryException e = assertThrows(MultiprocDirectoryException.class, d::wipe);
      assertOneLine(e, "symbolic link named " + MultiprocDirectory.ARCHIVE_FOLDER);
    }
    assertEquals(Set.of("data.mdb"), names(elsewhere));
  }

  @Test
  void wipe_removesASymlinkWithAMetricFileNameButNotItsTarget() throws IOException {
    Path dir = Files.createDirectory(tmp.resolve("m"));
    Path target = Files.write(tmp.resolve("target.db"), new byte[0]);
    Files.createSymbolicLink(dir.resolve("counter_1.db"), target);
    try (MultiprocDirectory d = MultiprocDirectory.lock(dir)) {
      assertEquals(1, d.wipe().size());
    }
    assertEquals(Set.of(MultiprocDirectory.LOCK_FILE), names(dir));
    assertTrue(Files.exists(target));
  }

  @Test
  void groupOrWorldWritableDirectory_isRefused() throws IOException {
    for (String mode : List.of("rwxrwx---", "rwx---rwx", "rwxrwxrwx")) {
      Path dir = Files.createDirectory(tmp.resolve("m-" + mode));
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
      MultiprocDirectoryException e =
          assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.lock(dir));
      assertOneLine(e, dir + " is writable by group or others");
      assertFalse(Files.exists(dir.resolve(MultiprocDirectory.LOCK_FILE)));
    }
  }

  @Test
  void directoryOfAnotherUser_isRefused() throws IOException {
    if (!"root".equals(System.getProperty("user.name"))) {
      Tools.unavailable("only root can give a directory to another user (chown to nobody)");
    }
    Path dir = Files.createDirectory(tmp.resolve("m"));
    UserPrincipal nobody =
        dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
    Files.setOwner(dir, nobody);
    MultiprocDirectoryException e =
        assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.lock(dir));
    assertOneLine(e, dir + " belongs to nobody");
  }
}
