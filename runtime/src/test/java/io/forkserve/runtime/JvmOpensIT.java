package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.internal.archive.JvmOpens;
import io.forkserve.testsupport.Processes;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A JVM started by hand without lmdbjava's --add-opens stops with one line, not a trace. */
class JvmOpensIT {
  @Test
  void serveAndMetricsWithoutTheOpensSayWhatToAddInOneLine() throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String cp = System.getProperty("java.class.path");
    check(List.of(java, "-cp", cp, "io.forkserve.runtime.Serve", "--port", "0"), 1);
    check(List.of(java, "-cp", cp, "io.forkserve.runtime.cli.MetricsCli", "merge", "/tmp"), 4);
  }

  private static void check(List<String> command, int expectedExit) throws Exception {
    Processes.Result r = Processes.exec(Duration.ofSeconds(30), command);
    String err = r.stderr();
    assertEquals(expectedExit, r.exit(), err);
    assertEquals(1, err.lines().count(), err);
    assertTrue(err.contains(JvmOpens.OPTIONS), err);
  }
}
