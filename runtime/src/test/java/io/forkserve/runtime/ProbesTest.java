package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.runtime.front.ServerView.Probe;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProbesTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong(1_000 * SECOND);
  private final Probes probes = new Probes(now::get, 2);

  @Test
  void liveWhileTheSweeperTurnsBeforeTheControlLoopStarts() {
    now.addAndGet(9 * SECOND);
    assertTrue(probes.live().ok());
    assertFalse(probes.live().body().containsKey("control_loop_age_seconds"));
    now.addAndGet(2 * SECOND);
    Probe stalled = probes.live();
    assertFalse(stalled.ok());
    assertEquals("unavailable", stalled.body().get("status"));
    assertEquals(11.0, stalled.body().get("sweep_loop_age_seconds"));
  }

  @Test
  void notLiveWhenTheControlLoopStallsThoughTheSweeperTurns() {
    probes.controlTurned();
    for (int i = 0; i < 11; i++) {
      now.addAndGet(SECOND);
      probes.sweepTurned();
    }
    Probe live = probes.live();
    assertFalse(live.ok());
    assertEquals(11.0, live.body().get("control_loop_age_seconds"));
    probes.controlTurned();
    assertTrue(probes.live().ok());
    assertEquals(0.0, probes.live().body().get("control_loop_age_seconds"));
  }

  @Test
  void readyNeedsTheMinimumOfReadyWorkersAndNoDrain() {
    assertFalse(probes.ready(1, 3, false).ok());
    assertEquals("1 of at least 2 workers ready", probes.ready(1, 3, false).body().get("cause"));
    Probe ready = probes.ready(2, 3, false);
    assertTrue(ready.ok());
    assertEquals(
        Map.of(
            "status", "ok",
            "ready_workers", 2,
            "workers", 3,
            "min_ready_workers", 2,
            "draining", false),
        ready.body());
    Probe draining = probes.ready(3, 3, true);
    assertFalse(draining.ok());
    assertEquals(true, draining.body().get("draining"));
    assertEquals("draining: shutting down", draining.body().get("cause"));
  }

  @Test
  void startupPassesOnceStartedAndStays() {
    assertFalse(probes.startup(false, 2, 3).ok());
    assertTrue(probes.startup(true, 0, 3).ok());
  }
}
