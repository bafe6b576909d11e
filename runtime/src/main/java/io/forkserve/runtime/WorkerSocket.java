package io.forkserve.runtime;

import io.forkserve.metrics.internal.LazyLogger;
import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.dispatch.WorkerLink;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Unix domain socket the workers connect to, its accept thread, and the events of each
 * worker's link, passed on to the pool (and logged values to the value loggers).
 */
final class WorkerSocket implements WorkerLink.Listener {
  private static final System.Logger LOG = LazyLogger.of(WorkerSocket.class);

  /*
   * Each worker connects and says HELLO with its pid, which names its pool entry; a connection
   * from a pid the pool did not start is closed. The accept thread only accepts: each HELLO is
   * read on a thread of its own, at most MAX_PENDING_HELLOS at once (more connections are closed
   * at once), and a connection whose HELLO has not arrived within the hello deadline
   * (--worker-start-timeout, at most HELLO_DEADLINE_MAX_NANOS) is closed by the timer. A
   * malformed or short HELLO (FrameException, or any other exception of the decoder) closes the
   * connection: nothing a peer sends before a valid HELLO keeps a descriptor or stops the accept
   * thread. Failures are logged at most once per LOG_INTERVAL_NANOS, with a count. The link's
   * reader thread then reports READY or FAILED, heartbeats (HEALTH), logged values and the end of
   * the connection; each goes to the pool, which takes its monitor briefly. Closing the socket ends the accept thread.
   */


  private final ServerSocketChannel sockets;
  private final SocketDir socketDir;
  private final ValueLoggers loggers;
  static final int MAX_PENDING_HELLOS = 64;
  static final long HELLO_DEADLINE_MAX_NANOS = 30_000_000_000L;
  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  private WorkerPool pool;
  private volatile boolean closed;
  private final Semaphore pendingHellos = new Semaphore(MAX_PENDING_HELLOS);
  private final ScheduledExecutorService helloTimer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread thread = new Thread(r, "forkserve-hello-timer");
            thread.setDaemon(true);
            return thread;
          });
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong lastLogNanos = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);

  private WorkerSocket(ServerSocketChannel sockets, SocketDir socketDir, ValueLoggers loggers) {
    this.sockets = sockets;
    this.socketDir = socketDir;
    this.loggers = loggers;
  }

  /** Binds a fresh socket; IllegalArgumentException with one line when it cannot. */
  static WorkerSocket open(ValueLoggers loggers) {
    try {
      ServerSocketChannel sockets = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
      return new WorkerSocket(sockets, SocketDir.bind(sockets), loggers);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot create the workers' socket: " + e.getMessage());
    }
  }

  Path path() {
    return socketDir.socket;
  }

  /** Starts accepting the workers of {@code pool}, their links feeding {@code dispatcher}. */
  void accept(WorkerPool pool, Dispatcher dispatcher, Settings settings) {
    this.pool = pool;
    long deadline = Math.min(settings.workerStartTimeoutNanos, HELLO_DEADLINE_MAX_NANOS);
    int batch = settings.maxBatchSize;
    long batchTimeout = settings.batchTimeoutNanos;
    Thread thread =
        new Thread(() -> acceptLoop(dispatcher, batch, batchTimeout, deadline), "forkserve-accept");
    thread.setDaemon(true);
    thread.start();
  }

  private void acceptLoop(
      Dispatcher dispatcher, int maxBatchSize, long batchTimeoutNanos, long helloDeadlineNanos) {
    AcceptBackoff backoff =
        new AcceptBackoff(
            "worker connection",
            System::nanoTime,
            line -> LOG.log(System.Logger.Level.WARNING, line));
    while (!closed) {
      SocketChannel channel;
      try {
        channel = sockets.accept();
        backoff.succeeded();
      } catch (IOException e) {
        if (!sockets.isOpen()) {
          return;
        }
        if (!closed && !SupervisionLoops.pause(backoff.failed(e.getMessage()))) {
          return;
        }
        continue;
      }
      if (!pendingHellos.tryAcquire()) {
        closeQuietly(channel);
        refusedOne(MAX_PENDING_HELLOS + " connections already wait for their HELLO");
        continue;
      }
      try {
        Thread hello =
            new Thread(
                () -> {
                  try {
                    hello(channel, dispatcher, maxBatchSize, batchTimeoutNanos, helloDeadlineNanos);
                  } finally {
                    pendingHellos.release();
                  }
                },
                "forkserve-hello");
        hello.setDaemon(true);
        hello.start();
      } catch (RuntimeException | OutOfMemoryError e) {
        pendingHellos.release();
        closeQuietly(channel);
        refusedOne("cannot start a thread for a HELLO: " + e);
      }
    }
  }

  /** Reads one connection's HELLO within the deadline; closes the connection unless valid. */
  private void hello(
      SocketChannel channel,
      Dispatcher dispatcher,
      int maxBatchSize,
      long batchTimeoutNanos,
      long deadlineNanos) {
    ScheduledFuture<?> timeout =
        helloTimer.schedule(() -> closeQuietly(channel), deadlineNanos, TimeUnit.NANOSECONDS);
    boolean kept = false;
    try {
      WorkerLink link =
          WorkerLink.accept(channel, dispatcher, maxBatchSize, batchTimeoutNanos, this);
      if (!timeout.cancel(false) || !pool.knows(link.pid())) {
        refusedOne(
            channel.isOpen()
                ? "HELLO from pid " + link.pid() + ", not a worker of this server"
                : "no HELLO within the deadline");
        return;
      }
      kept = true;
      pool.connected(link.pid(), new LinkChannel(link));
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        refusedOne(
            timeout.isDone() && !channel.isOpen()
                ? "no HELLO within the deadline"
                : "bad HELLO: " + e);
      }
    } finally {
      timeout.cancel(false);
      if (!kept) {
        closeQuietly(channel);
      }
    }
  }

  /** Logs a refused worker connection, at most once per interval with the count since. */
  private void refusedOne(String why) {
    long count = refused.incrementAndGet();
    long now = System.nanoTime();
    long last = lastLogNanos.get();
    if (now - last >= LOG_INTERVAL_NANOS && lastLogNanos.compareAndSet(last, now)) {
      refused.set(0);
      LOG.log(
          System.Logger.Level.WARNING,
          "worker connection refused: "
              + why
              + (count > 1 ? " (" + count + " refused since the last message)" : ""));
    }
  }

  private static void closeQuietly(SocketChannel channel) {
    try {
      channel.close();
    } catch (IOException e) {
      // nothing left to release
    }
  }

  @Override
  public void ready(WorkerLink link, long setupNanos) {
    pool.ready(link.pid(), new LinkChannel(link), setupNanos);
  }

  @Override
  public void failed(WorkerLink link, String message) {
    pool.failed(link.pid(), link.index(), message);
  }

  @Override
  public void health(WorkerLink link, boolean healthy) {
    pool.health(link.pid(), healthy);
  }

  @Override
  public void log(WorkerLink link, String key, byte[] json) {
    loggers.deliver(key, json);
  }

  @Override
  public void closed(WorkerLink link, IOException cause) {
    pool.closed(link.pid());
  }

  /** Closes the socket and removes its directory; best effort. */
  void close() {
    closed = true;
    helloTimer.shutdownNow();
    try {
      sockets.close();
      socketDir.delete();
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
