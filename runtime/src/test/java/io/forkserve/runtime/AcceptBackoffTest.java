package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 14 finding 1: a failing accept loop backs off and logs once per interval. */
class AcceptBackoffTest {
  private long now;
  private final List<String> lines = new ArrayList<>();
  private final AcceptBackoff backoff =
      new AcceptBackoff("worker connection", () -> now, lines::add);

  @Test
  void repeatedFailuresLogOncePerIntervalWithTheirCount() {
    for (int i = 0; i < 1_000_000; i++) {
      backoff.failed("Too many open files");
      now += 1_000; // a microsecond apart: the storm of the issue
    }
    assertEquals(1, lines.size(), lines.toString());
    assertTrue(lines.get(0).contains("worker connection failed: Too many open files"));
    now += AcceptBackoff.LOG_INTERVAL_NANOS;
    backoff.failed("Too many open files");
    assertEquals(2, lines.size());
    assertTrue(lines.get(1).contains("(1000000 failures since the last report)"), lines.get(1));
  }

  @Test
  void thePauseDoublesUpToItsCapAndResetsAfterASuccess() {
    assertEquals(AcceptBackoff.FIRST_PAUSE_MILLIS, backoff.failed("x"));
    assertEquals(2 * AcceptBackoff.FIRST_PAUSE_MILLIS, backoff.failed("x"));
    long pause = 0;
    for (int i = 0; i < 20; i++) {
      pause = backoff.failed("x");
    }
    assertEquals(AcceptBackoff.MAX_PAUSE_MILLIS, pause);
    backoff.succeeded();
    assertEquals(AcceptBackoff.FIRST_PAUSE_MILLIS, backoff.failed("x"));
  }
}
