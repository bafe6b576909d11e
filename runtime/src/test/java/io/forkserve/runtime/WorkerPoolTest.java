package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.Sample;
import io.forkserve.runtime.front.FrontMetrics;
import io.forkserve.runtime.internal.RestartReason;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pool's state machine on a fake clock with a fake launcher: no process is started. */
class WorkerPoolTest {
  static final long MS = 1_000_000;

  long now = 1_000 * MS;
  final FakeLauncher launcher = new FakeLauncher();
  final List<String> events = new ArrayList<>();
  final ByteArrayOutputStream out = new ByteArrayOutputStream();
  final ByteArrayOutputStream err = new ByteArrayOutputStream();

  WorkerPool pool(String... flags) {
    Settings settings = Settings.parse(flags, Map.of());
    RestartPolicy policy =
        new RestartPolicy(
            settings.restartBackoffNanos,
            settings.restartBackoffMaxNanos,
            settings.crashLoopRestarts,
            settings.crashLoopWindowNanos,
            () -> 0.0); // delays are exactly half the backoff
    return new WorkerPool(
        settings,
        () -> now,
        launcher,
        new RecordingEvents(),
        policy,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** A pool past start-up with every worker ready. */
  WorkerPool started(String... flags) throws InterruptedException {
    WorkerPool pool = pool(flags);
    pool.spawnAll();
    for (FakeWorker w : new ArrayList<>(launcher.started)) {
      w.ready(pool);
    }
    assertNull(pool.awaitStartup());
    return pool;
  }

  @Test
  void startup_failsWithTheCauseWhenAWorkerExitsBeforeReady() throws InterruptedException {
    WorkerPool pool = pool("--workers", "2");
    pool.spawnAll();
    assertEquals(Map.of(0, "starting", 1, "starting"), pool.slotStates());
    launcher.started.get(0).ready(pool);
    assertEquals(Map.of(0, "ready", 1, "starting"), pool.slotStates());
    pool.failed(launcher.started.get(1).pid, 1, "model missing");
    launcher.started.get(1).exit(3);
    assertEquals("worker 1 setup failed: model missing", pool.awaitStartup());
    assertFalse(pool.isStarted());
  }

  @Test
  void crash_restartsAfterTheBackoffNotBefore() throws InterruptedException {
    WorkerPool pool = started("--restart-backoff", "400ms");
    FakeWorker first = launcher.started.get(0);
    first.exit(1);
    assertEquals(0, pool.readyWorkers());
    assertFalse(pool.isHealthy());
    assertTrue(err.toString(StandardCharsets.UTF_8).contains("restarting in 0.20 s"), err::toString);

    now += 199 * MS;
    pool.control(now);
    assertEquals(1, launcher.started.size(), "not before the backoff");
    now += 1 * MS;
    pool.control(now);
    assertEquals(2, launcher.started.size(), "respawned once the backoff is over");
    assertEquals(0, launcher.started.get(1).index);
    assertEquals(1L, pool.restarts().get("crash"));
    assertTrue(events.contains("restarted crash"), events::toString);

    launcher.started.get(1).ready(pool);
    assertTrue(pool.isHealthy());
  }

  @Test
  void crash_backoffDoublesWhileTheSlotKeepsFailing() throws InterruptedException {
    WorkerPool pool = started("--restart-backoff", "400ms", "--crash-loop-restarts", "100");
    launcher.started.get(0).exit(1);
    now += 200 * MS;
    pool.control(now);
    launcher.last().exit(1); // the second failure in a row waits twice as long
    now += 399 * MS;
    pool.control(now);
    assertEquals(2, launcher.started.size());
    now += 1 * MS;
    pool.control(now);
    assertEquals(3, launcher.started.size());
  }

  @Test
  void crashLoop_isReportedOnceAndHealsWhenEveryWorkerIsReady() throws InterruptedException {
    WorkerPool pool =
        started("--crash-loop-restarts", "3", "--crash-loop-window", "60s", "--restart-backoff",
            "10ms");
    for (int i = 0; i < 3; i++) {
      launcher.last().exit(1);
      now += 1_000 * MS;
      pool.control(now);
    }
    assertTrue(pool.crashLoopCause().startsWith("crash loop: 3 worker failures within 60 s"),
        pool.crashLoopCause());
    assertFalse(pool.isHealthy());
    assertEquals(List.of("crashLoop true"), events.stream().filter(e -> e.startsWith("crash"))
        .toList());
    assertEquals(1, err.toString(StandardCharsets.UTF_8).split("crash loop:", -1).length - 1);

    launcher.last().ready(pool);
    assertNull(pool.crashLoopCause());
    assertTrue(pool.isHealthy());
    assertTrue(events.contains("crashLoop false"), events::toString);
  }

  @Test
  void recycle_byMaxRequests_startsTheSuccessorFirstThenRetiresTheOld()
      throws InterruptedException {
    WorkerPool pool = started("--max-requests", "10");
    FakeWorker old = launcher.started.get(0);
    old.channel.served = 9;
    pool.control(now);
    assertEquals(1, launcher.started.size());
    assertEquals(Map.of(0, "ready"), pool.slotStates());
    old.channel.served = 10;
    pool.control(now);
    assertEquals(2, launcher.started.size(), "successor spawned");
    assertEquals(Map.of(0, "recycling"), pool.slotStates());
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("10 requests served (--max-requests)"));
    assertFalse(old.channel.retired, "the old worker serves until its successor is ready");
    assertEquals(1, pool.readyWorkers());

    launcher.last().ready(pool);
    assertTrue(old.channel.retired);
    assertEquals(1, pool.readyWorkers());
    assertEquals(Map.of(0, "ready"), pool.slotStates(), "the successor is the slot's worker");
    old.channel.drained = true;
    pool.control(now);
    assertTrue(old.channel.finished, "a drained worker gets EOF");
    old.exit(0);
    now += 60_000 * MS;
    pool.control(now);
    assertEquals(2, launcher.started.size(), "an asked-for exit is no crash");
    assertEquals(1L, pool.restarts().get("recycle"));
    assertEquals(0L, pool.restarts().get("crash"));
  }

  @Test
  void scale_upSpawnsSlotsAndDownRetiresTheLastOnes() throws InterruptedException {
    WorkerPool pool = started();
    pool.scaleTo(3);
    pool.control(now);
    assertEquals(3, launcher.started.size());
    assertEquals(List.of(0, 1, 2), launcher.started.stream().map(w -> w.index).toList());
    launcher.started.get(1).ready(pool);
    launcher.started.get(2).ready(pool);
    assertEquals(3, pool.readyWorkers());

    pool.scaleTo(1);
    pool.control(now);
    assertEquals(1, pool.readyWorkers());
    assertEquals(1, pool.describeWorkers().size());
    assertFalse(launcher.started.get(0).channel.retired);
    assertTrue(launcher.started.get(1).channel.retired);
    assertTrue(launcher.started.get(2).channel.retired);
    assertEquals(4L, pool.restarts().get("scale"));
    launcher.started.get(2).exit(0);
    pool.control(now);
    assertEquals(3, launcher.started.size(), "no respawn for a slot scaled away");
  }

  @Test
  void reload_replacesOneSlotAtATimeAndTheSuccessorIsReadyBeforeTheOldRetires()
      throws InterruptedException {
    WorkerPool pool = started("--workers", "2");
    FakeWorker old0 = launcher.started.get(0);
    FakeWorker old1 = launcher.started.get(1);
    pool.reload();
    pool.control(now);
    pool.control(now);
    assertEquals(3, launcher.started.size(), "one replacement at a time");
    FakeWorker new0 = launcher.last();
    assertEquals(0, new0.index);
    assertFalse(old0.channel.retired);
    assertEquals(2, pool.readyWorkers());

    new0.ready(pool);
    assertTrue(old0.channel.retired);
    assertEquals(2, pool.readyWorkers(), "no capacity dip");
    pool.control(now);
    FakeWorker new1 = launcher.last();
    assertEquals(1, new1.index);
    assertFalse(old1.channel.retired);
    new1.ready(pool);
    assertTrue(old1.channel.retired);
    pool.control(now);
    assertEquals(4, launcher.started.size());
    assertEquals(2L, pool.restarts().get("reload"));
  }

  @Test
  void reload_progressNamesTheSlotThatWasReplaced() throws InterruptedException {
    WorkerPool pool = started("--workers", "2");
    pool.reload();
    pool.control(now);
    out.reset();
    launcher.last().ready(pool);
    String line = out.toString(StandardCharsets.UTF_8);
    assertTrue(line.startsWith("forkserve: worker 0 ready in "), line);
    assertTrue(line.contains("2/2 workers ready"), line);
  }

  @Test
  void liveness_killsASilentWorkerAndReplacesItAtOnce() throws InterruptedException {
    WorkerPool pool = started("--worker-timeout", "5s");
    FakeWorker silent = launcher.started.get(0);
    now += 4_000 * MS;
    pool.health(silent.pid, true);
    now += 5_000 * MS;
    pool.control(now);
    assertFalse(silent.killed, "heard from 5 s ago: not yet");
    now += 1 * MS;
    pool.control(now);
    assertTrue(silent.killed);
    assertTrue(silent.channel.gone.contains("without a heartbeat (--worker-timeout)"),
        silent.channel.gone);
    silent.exit(137);
    pool.control(now);
    assertEquals(2, launcher.started.size(), "replaced without backoff");
    assertEquals(1L, pool.restarts().get("timeout"));
    assertEquals(0L, pool.restarts().get("crash"));
  }

  @Test
  void startTimeout_killsAWorkerNeverReadyAndCountsItAsACrash() throws InterruptedException {
    WorkerPool pool = started("--worker-start-timeout", "10s", "--restart-backoff", "400ms");
    FakeWorker first = launcher.started.get(0);
    first.exit(1);
    now += 200 * MS;
    pool.control(now);
    FakeWorker stuck = launcher.last();
    assertTrue(stuck != first, "restarted");
    now += 10_000 * MS;
    pool.control(now);
    assertFalse(stuck.killed, "10 s after its start: not yet");
    now += 1 * MS;
    pool.control(now);
    assertTrue(stuck.killed);
    String log = err.toString(StandardCharsets.UTF_8);
    assertTrue(log.contains("not ready 10.0 s after its start (--worker-start-timeout)"), log);
    stuck.exit(137);
    assertTrue(
        err.toString(StandardCharsets.UTF_8).contains("setup failed: not ready"),
        err::toString);
    now += 10_000 * MS;
    pool.control(now);
    assertEquals(3, launcher.started.size(), "replaced after the backoff");
    assertEquals(2L, pool.restarts().get("crash"), "a failed start counts as a crash");
  }

  @Test
  void startTimeout_endsAStartUpThatNeverFinishes() throws InterruptedException {
    now = 0;
    WorkerPool pool = pool("--worker-start-timeout", "1s");
    pool.spawnAll();
    now = 1_001 * MS;
    FakeWorker stuck = launcher.started.get(0);
    Thread exitOnKill =
        new Thread(
            () -> {
              while (!stuck.killed) {
                Thread.onSpinWait();
              }
              stuck.exit(137);
            });
    exitOnKill.setDaemon(true);
    exitOnKill.start();
    assertEquals(
        "worker 0 setup failed: not ready 1.0 s after its start (--worker-start-timeout)",
        pool.awaitStartup());
    assertTrue(launcher.started.get(0).killed);
  }

  /**
   * The pool's slot states reach {@code forkserve_worker_state} as the control loop writes them:
   * the slot's state is 1 and its three other states 0, through start, recycle and drain.
   */
  @Test
  void workerStateMetric_followsEachSlotThroughStartingReadyRecyclingAndDraining(
      @TempDir Path dir) throws InterruptedException {
    try (MetricsRegistry registry = MetricsRegistry.open(dir)) {
      FrontMetrics metrics = new FrontMetrics(registry);
      WorkerPool pool = pool("--workers", "2", "--max-requests", "10");
      pool.spawnAll();
      assertEquals(Map.of("0", "starting", "1", "starting"), stateMetric(metrics, pool, dir));
      launcher.started.get(0).ready(pool);
      launcher.started.get(1).ready(pool);
      assertNull(pool.awaitStartup());
      assertEquals(Map.of("0", "ready", "1", "ready"), stateMetric(metrics, pool, dir));

      launcher.started.get(1).channel.served = 10;
      pool.control(now);
      assertEquals(Map.of("0", "ready", "1", "recycling"), stateMetric(metrics, pool, dir));
      launcher.last().ready(pool);
      assertEquals(Map.of("0", "ready", "1", "ready"), stateMetric(metrics, pool, dir));

      assertTrue(pool.drain());
      assertEquals(Map.of("0", "draining", "1", "draining"), stateMetric(metrics, pool, dir));
    }
  }

  /**
   * Writes the pool's slot states as the control loop does, scrapes {@code dir} and returns each
   * worker's state in {@code forkserve_worker_state}; fails unless that state is 1 and every
   * other state of the slot 0.
   */
  private static Map<String, String> stateMetric(FrontMetrics metrics, WorkerPool pool, Path dir) {
    metrics.workerStates("default", pool.slotStates());
    MetricFamilySnapshot family =
        DirectoryScraper.scrapeOnce(dir).families().stream()
            .filter(f -> f.name().equals("forkserve_worker_state"))
            .findFirst()
            .orElseThrow();
    Map<String, String> on = new TreeMap<>();
    Map<String, List<String>> off = new TreeMap<>();
    for (Sample s : family.samples()) {
      String worker = s.labels().get("worker");
      String state = s.labels().get("forkserve_worker_state");
      assertEquals("default", s.labels().get("api"), s.toString());
      if (s.value() == 1) {
        assertNull(on.put(worker, state), "two states of worker " + worker + ": " + family);
      } else {
        assertEquals(0, s.value(), s.toString());
        off.computeIfAbsent(worker, w -> new ArrayList<>()).add(state);
      }
    }
    on.forEach(
        (worker, state) -> {
          Set<String> others = new TreeSet<>(Set.of("starting", "ready", "draining", "recycling"));
          others.remove(state);
          assertEquals(others, new TreeSet<>(off.getOrDefault(worker, List.of())), worker);
        });
    assertEquals(on.keySet(), off.keySet(), family.toString());
    return on;
  }

  final class RecordingEvents implements PoolEvents {
    @Override
    public void workersUp(int ready) {}

    @Override
    public void restarted(RestartReason reason) {
      events.add("restarted " + reason.label());
    }

    @Override
    public void crashLoop(boolean looping) {
      events.add("crashLoop " + looping);
    }

    @Override
    public void exited(long pid) {
      events.add("exited " + pid);
    }
  }

  static final class FakeLauncher implements WorkerLauncher {
    final List<FakeWorker> started = new ArrayList<>();
    long nextPid = 100;

    @Override
    public Handle start(int index, String device, int workers, boolean printSetupTrace) {
      FakeWorker worker = new FakeWorker(index, nextPid++);
      started.add(worker);
      return worker;
    }

    @Override
    public void stopAll(List<Handle> handles) {
      handles.forEach(Handle::killTree);
    }

    FakeWorker last() {
      return started.get(started.size() - 1);
    }
  }

  static final class FakeWorker implements WorkerLauncher.Handle {
    final int index;
    final long pid;
    final FakeChannel channel = new FakeChannel();
    IntConsumer onExit;
    volatile boolean killed;

    FakeWorker(int index, long pid) {
      this.index = index;
      this.pid = pid;
    }

    void ready(WorkerPool pool) {
      pool.connected(pid, channel);
      pool.ready(pid, channel, 10 * MS);
    }

    void exit(int code) {
      onExit.accept(code);
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public void onExit(IntConsumer onExit) {
      this.onExit = onExit;
    }

    @Override
    public void killTree() {
      killed = true;
    }

    @Override
    public long residentBytes() {
      return 0;
    }
  }

  static final class FakeChannel implements WorkerChannel {
    long served;
    boolean retired;
    boolean drained;
    boolean finished;
    String gone = "";

    @Override
    public long served() {
      return served;
    }

    @Override
    public void goneBecause(String message) {
      gone = message;
    }

    @Override
    public void retire() {
      retired = true;
    }

    @Override
    public boolean drained() {
      return drained;
    }

    @Override
    public void finish() {
      finished = true;
    }
  }
}
