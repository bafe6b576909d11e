package io.forkserve.metrics.directory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MultiprocDirectoryTest {
  @TempDir Path tmp;

  private static void touch(Path dir, String... names) throws IOException {
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
        "counter_12_x.db",
        "histogram_2.db",
        "summary_3.db",
        "gauge_all_4.db",
        "gauge_livesum_5.db",
        "gauge_mostrecent_6.db");
    touch(
        dir,
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
  void deleteProcessFiles_andLiveGauges_likeMarkProcessDead() throws IOException {
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
      assertEquals(2, d.deleteLiveGaugeFiles(7).size());
      assertEquals(
          Set.of(
              "counter_7.db",
              "histogram_7.db",
              "summary_7.db",
              "histogram_7s1.db",
              "counter_7s3.db",
              "gauge_all_7.db",
              "counter_17.db",
              "counter_17s1.db",
              "gauge_liveall_17.db",
              "notes_7.db",
              MultiprocDirectory.LOCK_FILE),
          names(dir));
      assertEquals(6, d.deleteProcessFiles(7).size());
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
  void ownedNames() {
    assertTrue(MultiprocDirectory.isMetricFileName("gauge_livemostrecent_123.db"));
    assertTrue(MultiprocDirectory.isMetricFileName("counter_123.db"));
    assertFalse(MultiprocDirectory.isMetricFileName("gauge_123.db"));
    assertFalse(MultiprocDirectory.isMetricFileName("notes.db"));
    assertFalse(MultiprocDirectory.isMetricFileName(MultiprocDirectory.LOCK_FILE));
  }
}
