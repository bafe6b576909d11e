package io.forkserve.runtime.front;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import org.xnio.Options;

/**
 * Binds an HTTP listener for a handler chain from {@link FrontHandlers}: the server's front and
 * {@code bin/metrics serve} start Undertow the same way and fail with the same one line.
 */
public final class FrontServer {
  static final int WORKER_THREADS = 4;

  /**
   * Undertow's libraries log through java.util.logging; kept here so the levels stay set. In a
   * holder of its own: the first logger lookup sets up java.util.logging, which {@link #probe}
   * (before the workers are spawned) need not wait for.
   */
  private static final class Quiet {
    static final List<java.util.logging.Logger> LOGGERS =
        List.of(
            java.util.logging.Logger.getLogger("io.undertow"),
            java.util.logging.Logger.getLogger("org.xnio"),
            java.util.logging.Logger.getLogger("org.jboss"));
  }

  private FrontServer() {}

  /**
   * What one client may hold of the front: connections, and how long a connection may stay
   * silent or half-sent. {@link #DEFAULTS} are the flags' defaults ({@code bin/metrics serve}
   * uses them as they are).
   */
  public static final class Limits {
    /** Time from a request's first byte until its headers are complete. */
    public final long requestParseMillis;

    /** Time a connection may stay open with no request in progress (new or kept alive). */
    public final long noRequestMillis;

    /** Time a connection may go without reading or writing a byte. */
    public final long idleMillis;

    /** Open connections; at the cap the front stops accepting until 90% of it is left. */
    public final int maxConnections;

    public static final Limits DEFAULTS = new Limits(10_000, 60_000, 60_000, 1000);

    public Limits(long requestParseMillis, long noRequestMillis, long idleMillis, int cap) {
      this.requestParseMillis = requestParseMillis;
      this.noRequestMillis = noRequestMillis;
      this.idleMillis = idleMillis;
      this.maxConnections = cap;
    }
  }

  /** {@link #start(String, int, HttpHandler, Limits)} with {@link Limits#DEFAULTS}. */
  public static Undertow start(String host, int port, HttpHandler root) {
    return start(host, port, root, Limits.DEFAULTS);
  }

  /** Keeps Undertow's start-up chatter off the terminal: warnings and worse only. */
  public static void quietLibraries() {
    Quiet.LOGGERS.forEach(logger -> logger.setLevel(java.util.logging.Level.WARNING));
  }

  /**
   * Starts Undertow on {@code host:port} (0: any free port) with {@code root}; throws
   * IllegalArgumentException with one line when it cannot listen there.
   */
  public static Undertow start(String host, int port, HttpHandler root, Limits limits) {
    // Body sizes are the handlers' rule (BodyLimitHandler, one JSON 413): Undertow's own entity
    // limit (2 MiB unless set) would answer an empty 400 before any handler runs.
    Undertow server =
        Undertow.builder()
            .addHttpListener(port, host)
            .setIoThreads(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .setWorkerThreads(WORKER_THREADS)
            .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, -1L)
            .setServerOption(
                UndertowOptions.REQUEST_PARSE_TIMEOUT, millis(limits.requestParseMillis))
            .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, millis(limits.noRequestMillis))
            .setServerOption(UndertowOptions.IDLE_TIMEOUT, millis(limits.idleMillis))
            .setSocketOption(Options.CONNECTION_HIGH_WATER, limits.maxConnections)
            .setSocketOption(
                Options.CONNECTION_LOW_WATER, Math.max(1, limits.maxConnections * 9 / 10))
            .setHandler(root)
            .build();
    try {
      server.start();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(bindFailure(host, port, e));
    }
    return server;
  }

  private static int millis(long millis) {
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, millis));
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
