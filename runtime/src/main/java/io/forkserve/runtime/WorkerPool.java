package io.forkserve.runtime;

import io.forkserve.runtime.Slot.Worker;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.runtime.internal.RestartReason;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The worker slots and their state machine: start-up, liveness, recycling, restart backoff, crash
 * loop, scaling and rolling reload. Thread-safe; it starts no thread of its own: the supervisor
 * calls {@link #control} every round, link events and process exits arrive on their threads.
 *
 * <p>Why one class of this size: every transition reads and writes the same slot state under one
 * monitor, so splitting it would spread one lock's invariants over several classes;
 * WorkerPoolTest drives all of it with a fake clock and launcher.
 */
final class WorkerPool {
  /*
   * Slots. Slot i is the i-th worker position (its index and device). It holds the current
   * Worker and, during a replacement, a successor. All slot and worker state is guarded by this
   * object's monitor; link events (reader threads), process exits (the launcher's exit threads)
   * and the control thread all take it briefly and never block under it.
   *
   * Start-up. Every slot's worker is spawned at once; start-up ends when all are READY, or at the
   * first failure (FAILED or an exit), which the supervisor reports as the cause.
   *
   * Replacement without a capacity dip (recycle, reload): the successor is spawned while the
   * current worker serves; when the successor is READY it becomes current and the old worker
   * retires: its channel stops taking jobs, the jobs it holds complete, then the channel's output
   * is shut down and the worker exits on EOF (killed after --graceful-timeout). A reload replaces
   * one slot at a time. Scaling down retires the last slots the same way.
   *
   * Start-up timeout. A worker not ready within --worker-start-timeout of its spawn is killed as
   * a failed start (its cause names the flag): a start-up failure before the server started, a
   * crash with backoff after. awaitStartup checks while it waits, control() afterwards.
   *
   * Failure. A worker whose heartbeat is silent for --worker-timeout is killed with its process
   * tree. What an exit means for its slot (crash, backoff, crash loop, timeout) is WorkerExits'.
   */

  static final long RSS_CHECK_NANOS = 1_000_000_000L;
  static final int MAX_WORKERS = 1024;
  static final long STARTUP_CHECK_MILLIS = 100;

  private final Settings settings;
  private final Clock clock;
  private final WorkerLauncher launcher;
  private final PoolEvents events;
  private final RestartPolicy policy;
  private final WorkerExits exits;
  private final PrintStream out;
  private final PrintStream err;
  private final long startNanos;
  private final List<Slot> slots = new ArrayList<>();
  private final Map<Long, Worker> byPid = new ConcurrentHashMap<>();
  private final List<Worker> retiring = new ArrayList<>();
  private final Deque<Worker> reloadQueue = new ArrayDeque<>();
  private final SpawnLog spawnLog;
  private final CountDownLatch startup = new CountDownLatch(1);
  private volatile String fatal;
  private volatile boolean started;
  private volatile boolean stopping;
  private boolean draining;
  private int desired;

  WorkerPool(
      Settings settings,
      Clock clock,
      WorkerLauncher launcher,
      PoolEvents events,
      RestartPolicy policy,
      PrintStream out,
      PrintStream err) {
    this.settings = settings;
    this.clock = clock;
    this.launcher = launcher;
    this.events = events;
    this.policy = policy;
    this.exits = new WorkerExits(settings, clock, policy, events, err);
    this.out = out;
    this.err = err;
    this.startNanos = clock.nanoTime();
    this.desired = settings.workers;
    this.spawnLog = new SpawnLog(startNanos);
  }

  /** Spawns every slot's first worker; IllegalArgumentException when one cannot be started. */
  synchronized void spawnAll() {
    for (int i = 0; i < desired; i++) {
      Slot slot = addSlot();
      slot.current = spawn(slot, null);
    }
  }

  /**
   * Waits until every worker was ready once; returns the start-up failure, or null. A worker not
   * ready within --worker-start-timeout is killed meanwhile, which ends the wait with its cause.
   */
  String awaitStartup() throws InterruptedException {
    while (!startup.await(STARTUP_CHECK_MILLIS, TimeUnit.MILLISECONDS)) {
      checkStarting(clock.nanoTime());
    }
    return started ? null : fatal;
  }

  private synchronized void checkStarting(long now) {
    for (Slot slot : slots) {
      checkStarting(slot.current, now);
      checkStarting(slot.successor, now);
    }
  }

  /** Kills {@code worker} when it was never ready and its start-up took too long. */
  private void checkStarting(Worker worker, long now) {
    if (worker == null
        || worker.everReady
        || worker.gone
        || worker.failure != null
        || worker.stopReason != null
        || now - worker.spawnedNanos <= settings.workerStartTimeoutNanos) {
      return;
    }
    worker.failure =
        String.format(
            Locale.ROOT,
            "not ready %.1f s after its start (--worker-start-timeout)",
            seconds(now - worker.spawnedNanos));
    err.printf(
        Locale.ROOT,
        "forkserve: worker %d (pid %d) %s: killing it%n",
        worker.slot.index,
        worker.pid,
        worker.failure);
    worker.process.killTree();
  }

  boolean isStarted() {
    return started;
  }

  /** True when {@code pid} is a worker of this pool (a connection from anyone else is refused). */
  boolean knows(long pid) {
    return byPid.containsKey(pid);
  }

  // --- slots and workers, all under this object's monitor ---

  private Slot addSlot() {
    int index = slots.size();
    Slot slot = new Slot(index, settings.devices.get(index % settings.devices.size()));
    slots.add(slot);
    return slot;
  }

  /** Spawns a worker for {@code slot}; {@code reason} is null for the first start. */
  private Worker spawn(Slot slot, RestartReason reason) {
    Worker worker = new Worker(slot, clock.nanoTime(), maxRequestsOfNewWorker());
    try {
      // one stack trace per failure streak: the first start and the first restart after a success
      worker.process = launcher.start(slot.index, slot.device, desired, slot.failures <= 1);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "cannot start worker " + slot.index + ": " + e.getMessage());
    }
    worker.pid = worker.process.pid();
    byPid.put(worker.pid, worker);
    if (reason != null) {
      countRestart(reason);
    }
    logSpawn(worker, reason);
    worker.process.onExit(code -> exited(worker, code));
    return worker;
  }

  private long maxRequestsOfNewWorker() {
    if (settings.maxRequests <= 0) {
      return 0;
    }
    long jitter = settings.maxRequestsJitter;
    return settings.maxRequests
        + (jitter > 0 ? ThreadLocalRandom.current().nextLong(jitter + 1) : 0);
  }

  private void logSpawn(Worker worker, RestartReason reason) {
    spawnLog.spawned(worker.slot.index, worker.pid, reason, worker.spawnedNanos);
    if (reason != null && exits.crashLoopCause() == null) {
      out.printf(
          Locale.ROOT,
          "forkserve: starting worker %d (pid %d, reason %s)%n",
          worker.slot.index,
          worker.pid,
          reason.label());
    }
  }

  private void countRestart(RestartReason reason) {
    spawnLog.restarted(reason);
    events.restarted(reason);
  }

  // --- the control round: liveness, recycling, replacement, scaling, reload ---

  /** One round of supervision at {@code now}; does nothing once stopping. */
  synchronized void control(long now) {
    if (stopping) {
      return;
    }
    for (Slot slot : new ArrayList<>(slots)) {
      checkStarting(slot.current, now);
      checkStarting(slot.successor, now);
      checkLiveness(slot.current, now);
      checkLiveness(slot.successor, now);
      if (!draining) {
        checkRecycle(slot, now);
        respawnIfDue(slot, now);
      }
    }
    finishRetiring(now);
    if (!draining) {
      scale();
      nextReload();
    }
  }

  private void checkLiveness(Worker worker, long now) {
    if (worker == null || !worker.ready || worker.stopReason != null) {
      return;
    }
    if (now - worker.lastHeardNanos > settings.workerTimeoutNanos) {
      err.printf(
          Locale.ROOT,
          "forkserve: worker %d (pid %d) silent for %.1f s (--worker-timeout): killing it%n",
          worker.slot.index,
          worker.pid,
          seconds(now - worker.lastHeardNanos));
      worker.stopReason = RestartReason.TIMEOUT;
      if (worker.link != null) {
        worker.link.goneBecause(
            String.format(
                Locale.ROOT,
                "killed after %.1f s without a heartbeat (--worker-timeout)",
                seconds(now - worker.lastHeardNanos)));
      }
      worker.process.killTree();
    }
  }

  private void checkRecycle(Slot slot, long now) {
    Worker worker = slot.current;
    if (worker == null
        || !worker.ready
        || worker.stopReason != null
        || slot.successor != null
        || now - slot.nextSpawnNanos < 0) {
      return;
    }
    String why = recycleCause(worker, now);
    if (why != null) {
      out.printf(
          Locale.ROOT,
          "forkserve: recycling worker %d (pid %d): %s%n",
          slot.index,
          worker.pid,
          why);
      slot.successor = spawn(slot, RestartReason.RECYCLE);
      slot.successorReason = RestartReason.RECYCLE;
    }
  }

  private String recycleCause(Worker worker, long now) {
    WorkerChannel link = worker.link;
    if (worker.maxRequests > 0 && link != null && link.served() >= worker.maxRequests) {
      return link.served() + " requests served (--max-requests)";
    }
    if (settings.maxWorkerRssBytes > 0 && now - worker.rssCheckedNanos >= RSS_CHECK_NANOS) {
      worker.rssCheckedNanos = now;
      long rss = worker.process.residentBytes();
      if (rss > settings.maxWorkerRssBytes) {
        return "resident memory " + rss / (1024 * 1024) + " MiB (--max-worker-rss)";
      }
    }
    return null;
  }

  private void respawnIfDue(Slot slot, long now) {
    if (slot.current == null && slot.pendingReason != null && now - slot.nextSpawnNanos >= 0) {
      slot.nextSpawnNanos = now + policy.delayNanos(slot.failures + 1);
      slot.current = spawn(slot, slot.pendingReason);
      slot.pendingReason = null;
    }
  }

  private void finishRetiring(long now) {
    for (Worker worker : new ArrayList<>(retiring)) {
      WorkerChannel link = worker.link;
      if (link == null || now - worker.retiredNanos > settings.gracefulTimeoutNanos) {
        worker.process.killTree();
        retiring.remove(worker);
      } else if (link.drained()) {
        link.finish();
        retiring.remove(worker);
      }
    }
  }

  private void retire(Worker worker, RestartReason reason) {
    worker.stopReason = reason;
    worker.retiredNanos = clock.nanoTime();
    if (worker.link != null) {
      worker.link.retire();
    }
    retiring.add(worker);
  }

  private void scale() {
    while (slots.size() < desired) {
      Slot slot = addSlot();
      slot.current = spawn(slot, RestartReason.SCALE);
    }
    while (slots.size() > desired) {
      Slot slot = slots.remove(slots.size() - 1);
      slot.removed = true;
      countRestart(RestartReason.SCALE);
      out.printf(Locale.ROOT, "forkserve: scaling down: worker %d leaves%n", slot.index);
      for (Worker worker : new Worker[] {slot.current, slot.successor}) {
        if (worker != null && worker.stopReason == null) {
          retire(worker, RestartReason.SCALE);
        }
      }
      events.workersUp(readyWorkers());
    }
  }

  private void nextReload() {
    for (Slot slot : slots) {
      if (slot.successor != null) {
        return; // one replacement at a time
      }
    }
    while (!reloadQueue.isEmpty()) {
      Worker old = reloadQueue.removeFirst();
      Slot slot = old.slot;
      if (!slot.removed && slot.current == old && old.stopReason == null) {
        slot.successor = spawn(slot, RestartReason.RELOAD);
        slot.successorReason = RestartReason.RELOAD;
        return;
      }
    }
  }

  // --- process exits, on the launcher's exit threads ---

  private void exited(Worker worker, int code) {
    events.exited(worker.pid);
    synchronized (this) {
      byPid.remove(worker.pid);
      retiring.remove(worker);
      worker.gone = true;
      worker.ready = false;
      if (stopping) {
        return;
      }
      if (!started) {
        fail(WorkerExits.startupFailure(worker, code));
        return;
      }
      exits.exited(worker, code);
      events.workersUp(readyWorkers());
    }
  }

  private void fail(String message) {
    if (fatal == null) {
      fatal = message;
    }
    startup.countDown();
  }

  // --- channel events, on the channels' reader threads ---

  /** Worker {@code pid} connected (said HELLO) on {@code link}; setup runs. */
  void connected(long pid, WorkerChannel link) {
    Worker worker = byPid.get(pid);
    if (worker != null) {
      worker.link = link;
    }
  }

  /** Worker {@code pid} finished setup after {@code setupNanos} and serves on {@code link}. */
  void ready(long pid, WorkerChannel link, long setupNanos) {
    int ready;
    int index;
    Worker worker;
    boolean replacement;
    boolean startupDone;
    synchronized (this) {
      worker = byPid.get(pid);
      if (worker == null) {
        return;
      }
      worker.link = link;
      worker.ready = true;
      worker.everReady = true;
      worker.healthy = true;
      worker.lastHeardNanos = clock.nanoTime();
      Slot slot = worker.slot;
      index = slot.index;
      slot.failures = 0;
      replacement = started;
      if (worker.stopReason != null || slot.removed) {
        link.retire();
        if (!retiring.contains(worker)) {
          retire(worker, worker.stopReason == null ? RestartReason.SCALE : worker.stopReason);
        }
      } else if (slot.successor == worker) {
        Worker old = slot.current;
        slot.current = worker;
        slot.successor = null;
        slot.pendingReason = null;
        if (old != null && old.stopReason == null) {
          retire(old, slot.successorReason);
        }
      }
      exits.healIfRecovered(slots);
      ready = readyWorkers();
      // started under the lock, so scaling and reloading work as soon as /health says ready
      startupDone = !started && fatal == null && ready == desired;
      started |= startupDone;
    }
    long took = clock.nanoTime() - worker.spawnedNanos;
    if (replacement) {
      out.printf(
          Locale.ROOT,
          "forkserve: worker %d ready in %.1f s (setup %.2f s, pid %d); %d/%d workers ready%n",
          index,
          seconds(took),
          seconds(setupNanos),
          pid,
          ready,
          workers());
    } else {
      out.printf(
          Locale.ROOT,
          "forkserve: worker %d/%d ready in %.1f s (setup %.2f s, pid %d)%n",
          ready,
          workers(),
          seconds(took),
          seconds(setupNanos),
          pid);
    }
    events.workersUp(ready);
    if (startupDone) {
      startup.countDown();
    }
  }

  /** Worker {@code pid}'s setup failed with {@code message}; its exit follows. */
  void failed(long pid, int index, String message) {
    synchronized (this) {
      Worker worker = byPid.get(pid);
      if (worker != null) {
        worker.failure = message;
      }
    }
    if (!started) {
      fail("worker " + index + " setup failed: " + message);
    }
  }

  /** Worker {@code pid} reported its health: it is alive. */
  void health(long pid, boolean healthy) {
    Worker worker = byPid.get(pid);
    if (worker != null) {
      worker.healthy = healthy;
      worker.lastHeardNanos = clock.nanoTime();
    }
  }

  /** Worker {@code pid}'s channel closed; a live process without its channel serves nobody. */
  void closed(long pid) {
    synchronized (this) {
      Worker worker = byPid.get(pid);
      if (worker == null || worker.gone) {
        return;
      }
      boolean wasReady = worker.ready;
      worker.ready = false;
      if (worker.stopReason == null && !stopping && wasReady) {
        err.printf(
            Locale.ROOT,
            "forkserve: worker %d (pid %d) went away; %d/%d workers ready%n",
            worker.slot.index,
            worker.pid,
            readyWorkers(),
            desired);
      }
      if (worker.stopReason == null) {
        worker.process.killTree();
      }
    }
    events.workersUp(readyWorkers());
  }

  // --- state the front shows, and the admin's requests ---

  /** Every worker ready and healthy, no crash loop, not draining. */
  synchronized boolean isHealthy() {
    if (exits.crashLoopCause() != null || draining || slots.isEmpty()) {
      return false;
    }
    for (Slot slot : slots) {
      Worker worker = slot.current;
      if (worker == null || !worker.ready || !worker.healthy) {
        return false;
      }
    }
    return true;
  }

  /**
   * Each slot's state for {@code forkserve_worker_state}: {@code recycling} while a successor
   * replaces its worker, {@code draining} while the pool drains or its worker stops, {@code
   * ready}, else {@code starting}.
   */
  synchronized Map<Integer, String> slotStates() {
    Map<Integer, String> states = new TreeMap<>();
    for (Slot slot : slots) {
      Worker w = slot.current;
      String state;
      if (slot.successor != null) {
        state = "recycling";
      } else if (draining || (w != null && w.stopReason != null)) {
        state = "draining";
      } else if (w != null && w.ready) {
        state = "ready";
      } else {
        state = "starting";
      }
      states.put(slot.index, state);
    }
    return states;
  }

  synchronized String crashLoopCause() {
    return exits.crashLoopCause();
  }

  synchronized int readyWorkers() {
    int ready = 0;
    for (Slot slot : slots) {
      if (slot.current != null && slot.current.ready && slot.current.stopReason == null) {
        ready++;
      }
    }
    return ready;
  }

  synchronized int workers() {
    return desired;
  }

  /** See {@code AdminActions.scaleTo}. */
  synchronized void scaleTo(int workers) {
    if (workers < 1 || workers > MAX_WORKERS) {
      throw new IllegalArgumentException("workers must be from 1 to " + MAX_WORKERS);
    }
    if (stopping || draining) {
      return;
    }
    if (!started) {
      throw new IllegalStateException("the server is still starting; scale it once it is ready");
    }
    if (workers != desired) {
      out.printf(Locale.ROOT, "forkserve: scaling from %d to %d workers%n", desired, workers);
    }
    desired = workers;
  }

  /** Adds or removes workers, staying within 1 and MAX_WORKERS. */
  synchronized void scaleBy(int delta) {
    scaleTo(Math.max(1, Math.min(MAX_WORKERS, desired + delta)));
  }

  /** See {@code AdminActions.reload}. */
  synchronized void reload() {
    if (stopping || draining) {
      return;
    }
    if (!started) {
      throw new IllegalStateException("the server is still starting; reload it once it is ready");
    }
    reloadQueue.clear();
    for (Slot slot : slots) {
      if (slot.current != null) {
        reloadQueue.addLast(slot.current);
      }
    }
    out.printf(Locale.ROOT, "forkserve: rolling restart of %d workers%n", reloadQueue.size());
  }

  /** The current worker of each slot, for {@code /info}. */
  synchronized List<Map<String, Object>> describeWorkers() {
    List<Map<String, Object>> workers = new ArrayList<>();
    for (Slot slot : slots) {
      Worker worker = slot.current;
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("index", slot.index);
      w.put("pid", worker == null ? null : worker.pid);
      w.put("device", slot.device);
      w.put("ready", worker != null && worker.ready);
      w.put("healthy", worker != null && worker.healthy);
      w.put("served", worker == null || worker.link == null ? 0 : worker.link.served());
      workers.add(w);
    }
    return workers;
  }

  /** Restarts so far by reason label, every reason present. */
  synchronized Map<String, Long> restarts() {
    return spawnLog.restarts();
  }

  /** The last {@link SpawnLog#SIZE} spawns, oldest first. */
  synchronized List<Map<String, Object>> spawns() {
    return spawnLog.spawns();
  }

  // --- stopping ---

  /** Stops replacing and scaling workers: the server drains. */
  synchronized boolean drain() {
    if (draining || stopping) {
      return false;
    }
    draining = true;
    return true;
  }

  synchronized boolean isDraining() {
    return draining;
  }

  /** Stops supervising; returns the workers' processes to end, or null when already stopping. */
  synchronized List<WorkerLauncher.Handle> stop() {
    if (stopping) {
      return null;
    }
    stopping = true;
    List<WorkerLauncher.Handle> handles = new ArrayList<>();
    for (Worker worker : byPid.values()) {
      handles.add(worker.process);
    }
    return handles;
  }

  boolean isStopping() {
    return stopping;
  }

  /** SIGKILL for every worker's tree, at once. */
  void killAll() {
    synchronized (this) {
      stopping = true;
    }
    for (Worker worker : byPid.values()) {
      worker.process.killTree();
    }
  }

  static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
