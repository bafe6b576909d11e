package io.forkserve.runtime.front;

import io.undertow.Undertow;
import io.undertow.server.HttpHandler;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;

/**
 * Binds an HTTP listener for a handler chain from {@link FrontHandlers}: the server's front and
 * {@code bin/metrics serve} start Undertow the same way and fail with the same one line.
 */
public final class FrontServer {
  static final int WORKER_THREADS = 4;

  /** Undertow's libraries log through java.util.logging; kept here so the levels stay set. */
  private static final List<java.util.logging.Logger> QUIET =
      List.of(
          java.util.logging.Logger.getLogger("io.undertow"),
          java.util.logging.Logger.getLogger("org.xnio"),
          java.util.logging.Logger.getLogger("org.jboss"));

  private FrontServer() {}

  /** Keeps Undertow's start-up chatter off the terminal: warnings and worse only. */
  public static void quietLibraries() {
    QUIET.forEach(logger -> logger.setLevel(java.util.logging.Level.WARNING));
  }

  /**
   * Starts Undertow on {@code host:port} (0: any free port) with {@code root}; throws
   * IllegalArgumentException with one line when it cannot listen there.
   */
  public static Undertow start(String host, int port, HttpHandler root) {
    Undertow server =
        Undertow.builder()
            .addHttpListener(port, host)
            .setIoThreads(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setWorkerThreads(WORKER_THREADS)
            .setHandler(root)
            .build();
    try {
      server.start();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(bindFailure(host, port, e));
    }
    return server;
  }

  /** The port {@code server} listens on. */
  public static int port(Undertow server) {
    return ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
  }

  /**
   * Fails fast, before slow work starts, when {@code host:port} is taken; the port is bound for
   * real later by {@link #start}. Port 0 is always free.
   */
  public static void probe(String host, int port) {
    if (port == 0) {
      return;
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true);
      probe.bind(new InetSocketAddress(host, port));
    } catch (IOException e) {
      throw new IllegalArgumentException(bindFailure(host, port, e));
    }
  }

  private static String bindFailure(String host, int port, Exception e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof BindException) {
        return "cannot listen on " + host + ":" + port + ": " + t.getMessage()
            + " (is the port in use?)";
      }
    }
    if (e instanceof IOException) {
      return "cannot listen on " + host + ":" + port + ": " + e.getMessage();
    }
    return "cannot start the HTTP front on " + host + ":" + port + ": " + e;
  }
}
