package io.forkserve.runtime;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.dispatch.WorkerLink;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The Unix domain socket the workers connect to, its accept thread, and the events of each
 * worker's link, passed on to the pool (and logged values to the value loggers).
 */
final class WorkerSocket implements WorkerLink.Listener {
  /*
   * Each worker connects and says HELLO with its pid, which names its pool entry; a connection
   * from a pid the pool did not start is closed. The link's reader thread then reports READY or
   * FAILED, heartbeats (HEALTH), logged values and the end of the connection; each goes to the
   * pool, which takes its monitor briefly. Closing the socket ends the accept thread.
   */

  private static final System.Logger LOG = System.getLogger(WorkerSocket.class.getName());

  private final ServerSocketChannel sockets;
  private final SocketDir socketDir;
  private final ValueLoggers loggers;
  private WorkerPool pool;
  private volatile boolean closed;

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
    Thread thread =
        new Thread(
            () -> acceptLoop(dispatcher, settings.maxBatchSize, settings.batchTimeoutNanos),
            "forkserve-accept");
    thread.setDaemon(true);
    thread.start();
  }

  private void acceptLoop(Dispatcher dispatcher, int maxBatchSize, long batchTimeoutNanos) {
    AcceptBackoff backoff =
        new AcceptBackoff(
            "worker connection",
            System::nanoTime,
            line -> LOG.log(System.Logger.Level.WARNING, line));
    while (!closed) {
      try {
        SocketChannel channel = sockets.accept();
        backoff.succeeded();
        WorkerLink link =
            WorkerLink.accept(channel, dispatcher, maxBatchSize, batchTimeoutNanos, this);
        if (!pool.knows(link.pid())) {
          channel.close();
          continue;
        }
        pool.connected(link.pid(), new LinkChannel(link));
      } catch (IOException e) {
        if (!sockets.isOpen()) {
          return;
        }
        if (!closed && !pause(backoff.failed(e.getMessage()))) {
          return;
        }
      }
    }
  }

  private static boolean pause(long millis) {
    try {
      Thread.sleep(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
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
    try {
      sockets.close();
      socketDir.delete();
    } catch (IOException e) {
      // best effort at exit
    }
  }
}
