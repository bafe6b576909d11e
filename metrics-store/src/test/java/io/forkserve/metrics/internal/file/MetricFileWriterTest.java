package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.metrics.testsupport.PyFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricFileWriterTest {
  @TempDir Path dir;

  static String key(int i) {
    return "[\"m\", \"m_total\", {\"i\": \"" + i + "\"}, \"help\"]";
  }

  @Test
  void newFile_is64KiBMode0600WithUsed8() throws IOException {
    Path file = dir.resolve("counter_1.db");
    try (MetricFileWriter w = MetricFileWriter.open(file, FormatVersion.V2)) {
      assertEquals(8, w.used());
    }
    assertEquals(FileLayout.INITIAL_CAPACITY, Files.size(file));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(8, PyFile.used(Files.readAllBytes(file)));
  }

  @Test
  void growth_doublesTheFileAndKeepsEarlierSlotsWorking() throws IOException {
    Path file = dir.resolve("counter_2.db");
    List<MetricFileWriter.Slots> slots = new ArrayList<>();
    try (MetricFileWriter w = MetricFileWriter.open(file, FormatVersion.V1)) {
      for (int i = 0; i < 3000; i++) {
        slots.add(w.slots(List.of(key(i))));
      }
      assertEquals(4 * FileLayout.INITIAL_CAPACITY, w.capacity());
      for (int i = 0; i < slots.size(); i++) {
        MetricFileWriter.Slots s = slots.get(i);
        MappedValues.getAndAddDouble(s.buffer(), s.valueOffset(0), i);
      }
    }
    assertEquals(4 * FileLayout.INITIAL_CAPACITY, Files.size(file));
    List<PyFile.Entry> entries = PyFile.read(file, FormatVersion.V1);
    assertEquals(3000, entries.size());
    for (int i = 0; i < entries.size(); i++) {
      assertEquals(key(i), entries.get(i).key());
      assertEquals(i, entries.get(i).value());
    }
  }

  @Test
  void sameKeyTwice_isOneEntry() throws IOException {
    try (MetricFileWriter w =
        MetricFileWriter.open(dir.resolve("gauge_all_3.db"), FormatVersion.V2)) {
      int a = w.slots(List.of(key(1))).valueOffset(0);
      int used = w.used();
      assertEquals(a, w.slots(List.of(key(1))).valueOffset(0));
      assertEquals(used, w.used());
    }
  }

  @Test
  void reopen_continuesAnExistingFileLikePython() throws IOException {
    Path file = dir.resolve("counter_4.db");
    try (MetricFileWriter w = MetricFileWriter.open(file, FormatVersion.V2)) {
      MetricFileWriter.Slots s = w.slots(List.of(key(1), key(2)));
      MappedValues.putDoubleRelease(s.buffer(), s.valueOffset(1), 5.0);
    }
    try (MetricFileWriter w = MetricFileWriter.open(file, FormatVersion.V2)) {
      MetricFileWriter.Slots s = w.slots(List.of(key(2), key(3)));
      assertEquals(5.0, MappedValues.getDoubleAcquire(s.buffer(), s.valueOffset(0)));
    }
    List<PyFile.Entry> entries = PyFile.read(file, FormatVersion.V2);
    assertEquals(List.of(key(1), key(2), key(3)), entries.stream().map(PyFile.Entry::key).toList());
  }

  @Test
  void reopen_refusesAFileOfTheOtherVersionOrGarbage() throws IOException {
    Path v1 = dir.resolve("counter_5.db");
    try (MetricFileWriter w = MetricFileWriter.open(v1, FormatVersion.V1)) {
      w.slots(List.of(key(1), key(22)));
    }
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class, () -> MetricFileWriter.open(v1, FormatVersion.V2));
    assertTrue(e.getMessage().contains("not a format v2 metrics file"), e.getMessage());

    Path garbage = dir.resolve("counter_6.db");
    Files.write(garbage, "SQLite format 3\0 and more bytes".getBytes(StandardCharsets.US_ASCII));
    assertThrows(
        IllegalStateException.class, () -> MetricFileWriter.open(garbage, FormatVersion.V1));
  }

  @Test
  void zeroByteFile_isTreatedAsNew() throws IOException {
    Path file = dir.resolve("counter_7.db");
    Files.createFile(file);
    try (MetricFileWriter w = MetricFileWriter.open(file, FormatVersion.V1)) {
      w.slots(List.of(key(1)));
    }
    assertEquals(1, PyFile.read(file, FormatVersion.V1).size());
    assertEquals(FileLayout.INITIAL_CAPACITY, Files.size(file));
  }

  @Test
  void nextCapacity_doublesAndStopsClearlyAtTheTwoGibLimit() {
    Path p = Path.of("x.db");
    assertEquals(131072, MetricFileWriter.nextCapacity(65536, 65537, p));
    assertEquals(1 << 30, MetricFileWriter.nextCapacity(1 << 29, (1 << 29) + 1, p));
    assertEquals(Integer.MAX_VALUE, MetricFileWriter.nextCapacity(1 << 30, (1L << 30) + 8, p));
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> MetricFileWriter.nextCapacity(Integer.MAX_VALUE, (1L << 31) + 8, p));
    assertTrue(e.getMessage().contains("2 GiB"), e.getMessage());
  }

  @Test
  void symlinkAtTheFileName_isNotFollowed() throws IOException {
    Path target = Files.writeString(dir.resolve("target.txt"), "keep me");
    Path link = Files.createSymbolicLink(dir.resolve("counter_1.db"), target);
    assertThrows(IOException.class, () -> MetricFileWriter.open(link, FormatVersion.V1));
    assertEquals("keep me", Files.readString(target));
  }
}
