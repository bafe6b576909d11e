package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The tests' command runner: exit code and both outputs, a limit that kills, no starvation. */
class ProcessesIT {
  @Test
  void exec_returnsTheExitCodeAndBothOutputs() throws Exception {
    List<String> command = List.of("sh", "-c", "echo out; echo err >&2; exit 3");
    Processes.Result r = Processes.exec(Duration.ofSeconds(30), command);
    assertEquals(new Processes.Result(3, "out\n", "err\n"), r);
    assertEquals("out\nerr\n", r.output());
  }

  @Test
  void run_failsOnANonZeroExit_namingWhatItPrinted() {
    List<String> command = List.of("sh", "-c", "echo no; exit 1");
    AssertionError e =
        assertThrows(
            AssertionError.class, () -> Processes.run(Duration.ofSeconds(30), null, command));
    assertTrue(e.getMessage().contains("exited 1: no"), e.getMessage());
  }

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard
  void exec_killsACommandThatOutlivesItsLimit_andFails() {
    long start = System.nanoTime();
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () -> Processes.exec(Duration.ofMillis(300), List.of("sleep", "600")));
    assertTrue(e.getMessage().contains("did not exit in"), e.getMessage());
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(300), "waited for sleep");
  }

  /**
   * Eight commands at once, each filling both pipes past their buffer: each pipe has a reader of
   * its own, so none waits for another's (on the common pool, a few blocked readers could take
   * every worker).
   */
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard
  void commandsRunAtOnce_eachHaveTheirOwnPipeReaders() throws Exception {
    String fill = "head -c 200000 /dev/zero; head -c 200000 /dev/zero >&2";
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Processes.Result>> runs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        runs.add(
            pool.submit(() -> Processes.exec(Duration.ofSeconds(60), List.of("sh", "-c", fill))));
      }
      for (Future<Processes.Result> run : runs) {
        Processes.Result r = run.get();
        assertEquals(0, r.exit(), r.stderr());
        assertEquals(200_000, r.stdout().length());
        assertEquals(200_000, r.stderr().length());
      }
    } finally {
      pool.shutdownNow();
    }
  }
}
