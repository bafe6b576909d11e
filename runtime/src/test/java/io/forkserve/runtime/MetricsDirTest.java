package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.directory.MultiprocDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsDirTest {
  @Test
  void onlyOldUnlockedPrivateDirectoriesAreRemoved(@TempDir Path parent) throws Exception {
    Path abandoned = Files.createDirectory(parent.resolve("forkserve-metrics-1"));
    Files.writeString(abandoned.resolve("counter_1.db"), "x");
    old(abandoned);
    Path recent = Files.createDirectory(parent.resolve("forkserve-metrics-2"));
    Path held = Files.createDirectory(parent.resolve("forkserve-metrics-3"));
    Path foreign = old(Files.createDirectory(parent.resolve("someone-else")));
    MultiprocDirectory lock = MultiprocDirectory.lock(held);
    try {
      old(held);
      MetricsDir.removeAbandoned(parent);
    } finally {
      lock.close();
    }
    assertFalse(Files.exists(abandoned));
    assertTrue(Files.exists(recent));
    assertTrue(Files.exists(held));
    assertTrue(Files.exists(foreign));
  }

  @Test
  void aPlantedLinkIsNeverFollowed(@TempDir Path parent) throws Exception {
    Path target = Files.createDirectory(parent.resolve("precious"));
    Files.writeString(target.resolve("counter_1.db"), "x");
    old(target);
    Files.createSymbolicLink(parent.resolve("forkserve-metrics-9"), target);
    MetricsDir.removeAbandoned(parent);
    assertEquals(Set.of("counter_1.db"), names(target));
  }

  private static Set<String> names(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  private static Path old(Path dir) throws Exception {
    Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minusSeconds(3600)));
    return dir;
  }
}
