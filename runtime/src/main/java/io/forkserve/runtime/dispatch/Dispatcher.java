package io.forkserve.runtime.dispatch;

import io.forkserve.runtime.internal.Clock;
import io.forkserve.worker.channel.Outcome;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The front's one central queue of requests, from which every worker's link pulls. Thread-safe:
 * HTTP threads submit (and send, see WorkerLink), links take, one sweeper thread times jobs out.
 */
public final class Dispatcher {
  private final BlockingQueue<Job> queue;
  private final Clock clock;
  private final long timeoutNanos;
  private final AtomicLong ids = new AtomicLong();
  private final Set<WorkerLink> links = new CopyOnWriteArraySet<>();
  private volatile boolean accepting = true;

  /** Pump tasks by thread, for submitAfterPass. */
  private final ThreadLocal<PassPump> passPump = ThreadLocal.withInitial(PassPump::new);

  /** Where the next deferred pump starts among the links (racy by design: only spreads load). */
  private int rotation;

  /** The registered links, for submit to walk without allocating. */
  private volatile WorkerLink[] linkArray = new WorkerLink[0];

  /**
   * A queue holding at most {@code capacity} waiting jobs; jobs time out after {@code timeoutNanos}
   * end to end.
   */
  public Dispatcher(int capacity, long timeoutNanos, Clock clock) {
    this.queue = new LinkedBlockingQueue<>(capacity);
    this.timeoutNanos = timeoutNanos;
    this.clock = clock;
  }

  /** The clock jobs' deadlines are on. */
  public Clock clock() {
    return clock;
  }

  /** A fresh job id. */
  public long nextId() {
    return ids.incrementAndGet();
  }

  /** The deadline of a job submitted now. */
  public long deadlineFromNow() {
    return clock.nanoTime() + timeoutNanos;
  }

  /**
   * Queues {@code job} and lets the links send what is queued on this thread if they can (see
   * WorkerLink, "Inline sending"), starting at a link that changes from job to job; false when
   * the queue is full (the caller answers 503).
   */
  public boolean submit(Job job) {
    if (!queue.offer(job)) {
      return false;
    }
    pumpLinks((int) job.id);
    return true;
  }

  /**
   * Queues {@code job} like {@link #submit} but leaves the sending to a task that {@code
   * thisThread} (the executor of the calling thread) runs once it has finished what it is doing:
   * an HTTP IO thread runs the tasks it gives itself after its pass over the ready connections,
   * before it waits again, so the requests that one pass read go to a worker in one frame and one
   * write instead of one each. At most one such task per thread is pending.
   */
  public boolean submitAfterPass(Job job, Executor thisThread) {
    if (!queue.offer(job)) {
      return false;
    }
    PassPump pass = passPump.get();
    if (!pass.scheduled) {
      pass.scheduled = true;
      thisThread.execute(pass);
    }
    return true;
  }

  /** The pump task of one thread (see submitAfterPass); touched by that thread only. */
  private final class PassPump implements Runnable {
    boolean scheduled;

    @Override
    public void run() {
      scheduled = false;
      pumpLinks(rotation++);
    }
  }

  private void pumpLinks(int start) {
    WorkerLink[] ready = linkArray;
    int n = ready.length;
    int first = n == 0 ? 0 : Math.floorMod(start, n);
    for (int i = 0; i < n && !queue.isEmpty(); i++) {
      ready[(first + i) % n].pump();
    }
  }

  /** From now on the front answers new requests 503 (the server is shutting down). */
  public void stopAccepting() {
    accepting = false;
  }

  /** False once {@link #stopAccepting} was called. */
  public boolean isAccepting() {
    return accepting;
  }

  /** Jobs waiting for a worker. */
  public int queueDepth() {
    return queue.size();
  }

  /** Jobs sent to workers and not answered yet. */
  public int inWorkers() {
    int sum = 0;
    for (WorkerLink link : links) {
      sum += link.pendingCount();
    }
    return sum;
  }

  /** Links registered (READY and not closed). */
  int linkCount() {
    return linkArray.length;
  }

  void register(WorkerLink link) {
    synchronized (links) {
      links.add(link);
      linkArray = links.toArray(new WorkerLink[0]);
    }
  }

  void unregister(WorkerLink link) {
    synchronized (links) {
      links.remove(link);
      linkArray = links.toArray(new WorkerLink[0]);
    }
  }

  Job poll(long nanos) throws InterruptedException {
    return queue.poll(nanos, TimeUnit.NANOSECONDS);
  }

  int drainTo(List<Job> batch, int max) {
    return max <= 0 ? 0 : queue.drainTo(batch, max);
  }

  /** Answers 503 with {@code message} to every queued job (at shut-down). */
  public void failQueued(String message) {
    byte[] body = Outcome.errorBody(503, message);
    for (Job job = queue.poll(); job != null; job = queue.poll()) {
      job.fail(503, body);
    }
  }

  /** Answers 504 to every job past its deadline, queued or in a worker. */
  public void sweep() {
    long now = clock.nanoTime();
    for (Job job : queue) {
      if (now - job.deadlineNanos >= 0 && job.respond(504, timeoutBody(), false)) {
        queue.remove(job);
      }
    }
    for (WorkerLink link : links) {
      link.sweep(now);
    }
  }

  static byte[] timeoutBody() {
    return Outcome.errorBody(504, "request timed out");
  }
}
