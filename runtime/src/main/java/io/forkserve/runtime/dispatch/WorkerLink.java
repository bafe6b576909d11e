package io.forkserve.runtime.dispatch;

import io.forkserve.worker.channel.FrameLayout;
import io.forkserve.worker.channel.FrameReader;
import io.forkserve.worker.channel.FrameWriter;
import io.forkserve.worker.channel.Frames;
import io.forkserve.worker.channel.Outcome;
import java.io.IOException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The front's end of the channel to one worker (see {@link Frames} for the protocol): jobs from the
 * {@link Dispatcher} sent while the worker has credit (by the thread that submitted them or that
 * received the credit, or by a sender thread), and a reader thread completing jobs from the
 * worker's responses.
 *
 * <p>Why one class of over 600 lines: it is one concept, the credit protocol of one link. The
 * credit is taken only by senders and added only by the reader, inline pumps and the sender thread
 * share one send lock and one queue, and retiring depends on both sides' state at once; split
 * into a sender and a reader class, every invariant in the comment below would span two classes
 * sharing their private state.
 */
public final class WorkerLink {
  /*
   * Credit. The worker grants credit in HELLO and CREDIT frames (how much it asks for is the
   * worker's choice, see Frames). Only the sender takes credit (under the monitor, after a batch
   * is formed) and only the reader adds it, waking the sender. The sender blocks on credit
   * before it takes a job from the queue, so a job is never held by a worker that has not asked
   * for it.
   *
   * Batching (max batch size b > 1). With credit n, the sender takes one job (blocking), then
   * whatever else is queued, up to n, and keeps polling until the batch holds min(b, n) jobs or
   * the batch timeout since the first job has passed. The whole set goes in one REQUESTS frame,
   * one write.
   *
   * Inline sending (b = 1, the default). A hand-off to a sender thread costs a wake-up and a
   * context switch per request, which on a small machine is most of the hop. So the thread that
   * makes a send possible sends: the HTTP IO thread that submitted jobs (once per pass over its
   * ready connections, Dispatcher.submitAfterPass, so the requests of one pass share a frame)
   * and the reader that received credit both call pump(), which, holding
   * sendLock, takes whatever is queued up to the credit and writes it in one REQUESTS frame. A
   * pump that finds sendLock held returns at once; the holder checks the queue and the credit
   * again after unlocking, so no job is left behind. Neither thread may block in a write (an IO
   * thread serves other connections; a blocked reader could deadlock with a worker blocked
   * writing its responses), so a pump writes only while the jobs the worker has not answered
   * fit in half the socket's send buffer (Job.socketBytes bounds what each holds of it); a
   * batch that does not fit is handed to the sender thread, which may block, and inline pumps
   * wait until it has been written.
   *
   * Retiring. retire() stops the sender (it takes no more jobs; it is never interrupted, since
   * an interrupt during a write would close the channel; it notices within RETIRE_POLL_NANOS)
   * while the reader keeps completing the jobs the
   * worker holds. Once drained() (the sender has stopped, so a batch it had taken is pending, and
   * nothing is pending any more) the supervisor calls finish(), which shuts down the
   * output side: the worker reads EOF and exits 0, and the reader then sees EOF too.
   */

  /** Events of a link, delivered on its reader thread. */
  public interface Listener {
    void ready(WorkerLink link, long setupNanos);

    void failed(WorkerLink link, String message);

    void health(WorkerLink link, boolean healthy);

    void log(WorkerLink link, String key, byte[] json);

    void closed(WorkerLink link, IOException cause);
  }

  /** The longest HELLO accepted: its fixed fields and an API class name. */
  static final int MAX_HELLO_BYTES = 64 * 1024;

  /** How often a sender waiting for a job checks whether it was retired. */
  private static final long RETIRE_POLL_NANOS = 50_000_000;

  private final int index;
  private final long pid;
  private final Frames.Hello hello;
  private final Frames.FromWorker inbox = new Inbox();
  private final SocketChannel channel;
  private final FrameReader reader;
  private final Dispatcher dispatcher;
  private final int maxBatchSize;
  private final long batchTimeoutNanos;
  private final Listener listener;
  private final ConcurrentHashMap<Long, Job> pending = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong served =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile int credits;
  private volatile boolean closed;
  private volatile boolean retired;
  private volatile String goneCause;
  private volatile Thread sender;

  /** Set (under this link's monitor, before retire could be seen) when a sender will run. */
  private boolean senderStarted;

  private volatile boolean senderDone;

  /** The sender's writer; CANCEL and STREAM_ACK from responder threads share it under lock. */
  private final FrameWriter writer;

  private final Object writeLock = new Object();

  /** True when pump() sends (max batch size 1); else the sender thread polls the dispatcher. */
  private final boolean inline;

  /** Held by whoever takes jobs from the dispatcher for this link in inline mode. */
  private final ReentrantLock sendLock = new ReentrantLock();

  /** The batch of an inline pump, reused; under sendLock. */
  private final List<Job> pumped = new ArrayList<>();

  /** A batch too big for an inline write, for the sender thread; under this link's monitor. */
  private List<Job> handoff;

  /** What pending jobs may hold of the socket's send buffer (Job.socketBytes). */
  private final AtomicLong unreadBytes = new AtomicLong();

  /** The most unreadBytes an inline write may leave: half the socket's send buffer. */
  private final long inlineBudget;

  private WorkerLink(
      SocketChannel channel,
      FrameReader reader,
      Frames.Hello hello,
      Dispatcher dispatcher,
      int maxBatchSize,
      long batchTimeoutNanos,
      Listener listener) {
    this.channel = channel;
    this.reader = reader;
    this.hello = hello;
    this.index = hello.index();
    this.pid = hello.pid();
    this.credits = hello.credit();
    this.dispatcher = dispatcher;
    this.maxBatchSize = Math.max(1, maxBatchSize);
    this.batchTimeoutNanos = batchTimeoutNanos;
    this.listener = listener;
    this.writer = new FrameWriter(channel, 256 * 1024);
    this.inline = this.maxBatchSize == 1;
    this.inlineBudget = sendBufferBytes(channel) / 2;
  }

  private static int sendBufferBytes(SocketChannel channel) {
    try {
      return channel.getOption(StandardSocketOptions.SO_SNDBUF);
    } catch (IOException | UnsupportedOperationException e) {
      return 64 * 1024; // small enough for any Unix socket
    }
  }

  /**
   * Reads the HELLO of a freshly accepted worker connection and returns its link, whose reader
   * thread is started; the sender starts when the worker reports READY.
   */
  public static WorkerLink accept(
      SocketChannel channel,
      Dispatcher dispatcher,
      int maxBatchSize,
      long batchTimeoutNanos,
      Listener listener)
      throws IOException {
    FrameReader reader = new FrameReader(channel, 256 * 1024);
    ByteBuffer payload = reader.next(MAX_HELLO_BYTES);
    Frames.Hello hello = Frames.decodeHello(reader.type(), payload);
    WorkerLink link =
        new WorkerLink(
            channel, reader, hello, dispatcher, maxBatchSize, batchTimeoutNanos, listener);
    link.startThread("reader", link::readLoop);
    return link;
  }

  public int index() {
    return index;
  }

  public long pid() {
    return pid;
  }

  public String apiClass() {
    return hello.apiClass();
  }

  /** True when the worker wants request headers (it overrides authorize). */
  public boolean wantsHeaders() {
    return hello.wantsHeaders();
  }

  public boolean isStreaming() {
    return hello.streaming();
  }

  /** The worker's HELLO: its flags say how the api serves. */
  public Frames.Hello hello() {
    return hello;
  }

  /** Jobs sent to the worker and not answered yet. */
  public int pendingCount() {
    return pending.size();
  }

  /** Jobs the worker has answered (whole responses and ended streams). */
  public long served() {
    return served.get();
  }

  /** Stops sending this worker new jobs; those it holds still complete. Idempotent. */
  public void retire() {
    synchronized (this) {
      retired = true;
      notifyAll();
    }
  }

  /** Names why the worker is going away, for the 503 of the jobs it holds. */
  public void goneBecause(String cause) {
    goneCause = cause;
  }

  /**
   * True once retired, the sender has stopped (a batch it took is pending by then) and every
   * pending job is answered: {@link #finish} may follow without failing a job.
   */
  public synchronized boolean drained() {
    return retired && (!senderStarted || senderDone) && !sendLock.isLocked() && pending.isEmpty();
  }

  private synchronized boolean startSender() {
    senderStarted = !retired;
    return senderStarted;
  }

  /** After {@link #drained}: tells the worker to exit (EOF). */
  public void finish() {
    try {
      channel.shutdownOutput();
    } catch (IOException e) {
      // already broken: the reader closes the link
    }
  }

  private Thread startThread(String role, Runnable body) {
    Thread thread = new Thread(body, "worker-" + index + "-" + role);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }

  private void readLoop() {
    IOException cause = null;
    try {
      while (true) {
        ByteBuffer payload = reader.next();
        Frames.decodeFromWorker(reader.type(), payload, inbox);
      }
    } catch (IOException e) {
      cause = e;
    } finally {
      close(cause);
    }
  }

  /** The frames of this link's worker, on the reader thread. */
  private final class Inbox implements Frames.FromWorker {
    @Override
    public void ready(long setupNanos) {
      dispatcher.register(WorkerLink.this);
      if (startSender()) {
        Runnable loop = inline ? WorkerLink.this::handoffLoop : WorkerLink.this::sendLoop;
        sender = startThread("sender", loop);
      }
      listener.ready(WorkerLink.this, setupNanos);
      pump();
    }

    @Override
    public void failed(String message) {
      listener.failed(WorkerLink.this, message);
    }

    @Override
    public void response(
        long id, int status, byte kind, Frames.ResponseMeta meta, byte[] body) {
      if (kind == FrameLayout.KIND_CHUNK) {
        Job job = pending.get(id);
        if (job != null) {
          job.chunk(body);
        }
        return;
      }
      Job job = release(id);
      if (job == null) {
        return;
      }
      served.incrementAndGet();
      if (kind == FrameLayout.KIND_END) {
        job.end(status, status == 200 ? null : body);
      } else {
        job.respond(status, meta, body);
      }
    }

    @Override
    public void credit(int n) {
      giveCredits(n);
    }

    @Override
    public void health(boolean healthy) {
      listener.health(WorkerLink.this, healthy);
    }

    @Override
    public void log(String key, byte[] json) {
      listener.log(WorkerLink.this, key, json);
    }
  }

  private void giveCredits(int n) {
    synchronized (this) {
      credits += n;
      if (!inline) {
        notifyAll(); // the sender waits for credit; an inline link's sender waits for a handoff
      }
    }
    pump();
  }

  /** Removes job {@code id} from pending, no longer counting its socket bytes. */
  private Job release(long id) {
    Job job = pending.remove(id);
    if (job != null && inline) {
      unreadBytes.addAndGet(-job.socketBytes());
    }
    return job;
  }

  /**
   * Inline mode: sends queued jobs on this thread while the worker has credit (see "Inline
   * sending"); never blocks. Called by Dispatcher.submit, on credit, and when READY.
   */
  void pump() {
    if (!inline) {
      return;
    }
    while (credits > 0 && dispatcher.queueDepth() > 0 && !retired && !closed) {
      if (!sendLock.tryLock()) {
        return; // the holder checks again after unlocking
      }
      boolean handedOff;
      try {
        handedOff = pumpLocked();
      } finally {
        sendLock.unlock();
      }
      if (handedOff) {
        return;
      }
    }
  }

  /** Under sendLock: takes and writes one batch; true when it went to the sender instead. */
  private boolean pumpLocked() {
    synchronized (this) {
      if (handoff != null || retired || closed) {
        return true;
      }
    }
    List<Job> batch = pumped;
    batch.clear();
    dispatcher.drainTo(batch, credits);
    batch.removeIf(job -> !job.isWaiting());
    if (batch.isEmpty()) {
      return false;
    }
    long bytes = 0;
    for (Job job : batch) {
      bytes += job.socketBytes();
    }
    if (unreadBytes.get() + bytes > inlineBudget) {
      synchronized (this) {
        handoff = new ArrayList<>(batch);
        notifyAll();
      }
      batch.clear();
      return true;
    }
    try {
      send(batch);
    } catch (IOException e) {
      failUnsent(batch);
    }
    batch.clear();
    return false;
  }

  /** Inline mode's sender: writes the batches pump() handed over, blocking if it must. */
  private void handoffLoop() {
    List<Job> batch = List.of();
    try {
      while (true) {
        synchronized (this) {
          while (handoff == null && !closed && !retired) {
            wait();
          }
          if (handoff == null) {
            break;
          }
          batch = handoff;
        }
        sendLock.lock();
        try {
          send(batch);
        } finally {
          synchronized (this) {
            handoff = null;
          }
          sendLock.unlock();
        }
        batch = List.of();
        pump();
      }
    } catch (InterruptedException | IOException e) {
      // the reader sees the broken channel too and closes the link
    }
    synchronized (this) {
      if (handoff != null) {
        batch = handoff;
        handoff = null;
      }
    }
    failUnsent(batch);
    senderDone = true;
  }

  /** Fails the jobs of a batch that could not be written. */
  private void failUnsent(List<Job> batch) {
    for (Job job : batch) {
      if (!job.isDone()) {
        release(job.id);
        job.fail(503, workerGone());
      }
    }
  }

  private synchronized int awaitCredits() throws InterruptedException {
    while (credits == 0 && !closed && !retired) {
      wait();
    }
    return credits;
  }

  private synchronized void takeCredits(int n) {
    credits -= n;
  }

  private void sendLoop() {
    List<Job> batch = new ArrayList<>();
    try {
      while (!closed && !retired) {
        int n = awaitCredits();
        if (closed || retired) {
          break;
        }
        batch.clear();
        fill(batch, n);
        send(batch);
        batch.clear();
      }
    } catch (InterruptedException | IOException e) {
      // the reader sees the broken channel too and closes the link
    }
    failUnsent(batch);
    senderDone = true;
  }

  private void fill(List<Job> batch, int n) throws InterruptedException {
    Job first = null;
    while (first == null) {
      if (retired || closed) {
        return;
      }
      first = dispatcher.poll(RETIRE_POLL_NANOS);
    }
    long start = dispatcher.clock().nanoTime();
    batch.add(first);
    dispatcher.drainTo(batch, n - 1);
    if (maxBatchSize > 1) {
      int target = Math.min(maxBatchSize, n);
      long left;
      while (batch.size() < target
          && (left = batchTimeoutNanos - (dispatcher.clock().nanoTime() - start)) > 0) {
        Job next = dispatcher.poll(left);
        if (next != null) {
          batch.add(next);
          dispatcher.drainTo(batch, target - batch.size());
        }
      }
    }
    batch.removeIf(job -> !job.isWaiting());
  }

  private void send(List<Job> batch) throws IOException {
    if (batch.isEmpty()) {
      return;
    }
    takeCredits(batch.size());
    boolean headers = wantsHeaders();
    boolean streaming = isStreaming();
    synchronized (writeLock) {
      Frames.beginRequests(writer, batch.size());
      for (Job job : batch) {
        pending.put(job.id, job);
        if (inline) {
          unreadBytes.addAndGet(job.socketBytes());
        }
        if (streaming) {
          job.flow(new Flow(job.id));
        }
        Frames.putRequest(
            writer,
            job.id,
            headers ? job.headers : null,
            job.contentType,
            job.query,
            job.parts,
            job.body,
            job.trace);
      }
      Frames.endBatch(writer);
      writer.flush();
    }
    if (closed) {
      failUnsent(batch); // close() may have failed pending before these were added
    }
  }

  /** Flow control of one stream: acks and cancels written on the responder's thread. */
  private final class Flow implements StreamFlow {
    private final long id;
    private boolean cancelled;

    Flow(long id) {
      this.id = id;
    }

    @Override
    public void written(int bytes) {
      if (bytes <= 0) {
        return;
      }
      control(w -> Frames.writeStreamAck(w, id, bytes));
    }

    @Override
    public void cancel() {
      synchronized (this) {
        if (cancelled) {
          return;
        }
        cancelled = true;
      }
      control(w -> Frames.writeCancel(w, id));
    }
  }

  private void control(java.util.function.Consumer<FrameWriter> frame) {
    if (closed) {
      return;
    }
    try {
      synchronized (writeLock) {
        frame.accept(writer);
        writer.flush();
      }
    } catch (IOException e) {
      // a broken channel: the reader sees it and closes the link
    }
  }

  void sweep(long now) {
    for (Job job : pending.values()) {
      if (now - job.deadlineNanos >= 0) {
        job.respond(504, Dispatcher.timeoutBody(), false);
      }
    }
  }

  private void close(IOException cause) {
    closed = true;
    Thread senderThread = sender;
    if (senderThread != null) {
      senderThread.interrupt();
    }
    dispatcher.unregister(this);
    try {
      channel.close();
    } catch (IOException e) {
      // already broken
    }
    for (Job job : pending.values()) {
      job.fail(503, workerGone());
    }
    pending.clear();
    listener.closed(this, cause);
  }

  private byte[] workerGone() {
    String cause = goneCause;
    return Outcome.errorBody(
        503,
        "worker " + index + " (pid " + pid + ") went away" + (cause == null ? "" : ": " + cause));
  }

  @Override
  public String toString() {
    return "WorkerLink[worker " + index + ", pid " + pid + ", credits " + credits + "]";
  }
}
