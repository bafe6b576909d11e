package io.forkserve.metrics.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The owner checks its archive file from several threads at once (each fold, each scraper)
 * while folds grow it: a sound, growing file must never be reported damaged, since the owner
 * would then replace it and every archived counter would restart from zero.
 */
class ArchiveFileRaceTest {
  private static final int COMMITS = 20_000;

  @TempDir Path dir;

  @Test
  @Timeout(value = 180, unit = TimeUnit.SECONDS)
  void aGrowingArchiveCheckedFromTwoThreads_isNeverReportedDamaged() throws Exception {
    Path folder = dir.resolve("archive");
    try (ArchiveEnv env = ArchiveEnv.openWritable(folder, 1L << 30)) {
      Object fileKey = Files.readAttributes(folder.resolve(ArchiveEnv.DATA_FILE),
          BasicFileAttributes.class).fileKey();
      AtomicLong largest = new AtomicLong();
      AtomicLong commits = new AtomicLong();
      AtomicBoolean stop = new AtomicBoolean();
      List<String> problems = new ArrayList<>();
      Runnable checker = () -> {
        while (!stop.get()) {
          String problem = ArchiveFile.problem(folder, fileKey, largest);
          if (problem != null) {
            synchronized (problems) {
              problems.add(problem);
            }
          }
        }
      };
      List<Thread> checkers = List.of(new Thread(checker), new Thread(checker));
      checkers.forEach(Thread::start);
      try {
        ByteBuffer key = ByteBuffer.allocateDirect(64);
        ByteBuffer value = ByteBuffer.allocateDirect(16);
        while (commits.get() < COMMITS) { // each commit adds a key: the file keeps growing
          long n = commits.get();
          env.write(txn -> {
            key.clear();
            ArchiveLayout.put(key, "series-" + n);
            value.clear();
            value.putLong(n).putLong(n).flip();
            env.db().put(txn, key, value);
            return null;
          });
          commits.incrementAndGet();
        }
      } finally {
        stop.set(true);
        for (Thread t : checkers) {
          t.join();
        }
      }
      synchronized (problems) {
        assertEquals(List.of(), problems.subList(0, Math.min(5, problems.size())),
            problems.size() + " checks found a problem in " + COMMITS + " commits");
      }
    }
  }
}
