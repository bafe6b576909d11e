package io.forkserve.runtime;

import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * HAProxy (Debian's) running {@code deploy/haproxy/haproxy.cfg} for the fleet test: its bind
 * address and server lines replaced, a stats listener and a proxy to the hub's Prometheus added.
 * A watcher thread polls the stats every 100 ms and keeps each server's routing changes.
 */
final class FleetHaproxy implements AutoCloseable {
  /** Server name, routing (status UP...) or not, and when it was seen (System.nanoTime). */
  record Change(String server, boolean routing, long nanos) {}

  final int port;
  final int prometheusPort;
  final List<Change> changes = new CopyOnWriteArrayList<>();
  private final int statsPort;
  private final Process process;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final Map<String, Boolean> routing = new HashMap<>();
  private volatile boolean watching = true;

  private FleetHaproxy(int port, int statsPort, int prometheusPort, Process process, Path log) {
    this.port = port;
    this.statsPort = statsPort;
    this.prometheusPort = prometheusPort;
    this.process = process;
    this.log = log;
  }

  /** The server name of member {@code i} in the config. */
  static String server(int i) {
    return "m" + i;
  }

  static FleetHaproxy start(Path work, Path shippedConfig, String hub, List<String> addresses)
      throws Exception {
    Path haproxy = Tools.require("haproxy");
    int port = freePort();
    int statsPort = freePort();
    int prometheusPort = freePort();
    String config = Files.readString(shippedConfig);
    String bind = "  bind *:8080\n";
    int begin = config.indexOf("  # servers begin\n");
    int end = config.indexOf("  # servers end\n");
    if (!config.contains(bind) || begin < 0 || end < begin) {
      throw new AssertionError(shippedConfig + " lost its bind line or its servers markers");
    }
    StringBuilder servers = new StringBuilder();
    for (int i = 0; i < addresses.size(); i++) {
      servers.append(
          String.format(
              "  server %s %s:%d namespace %s check%n",
              server(i), addresses.get(i), FleetNetwork.MEMBER_PORT, hub));
    }
    String written =
        (config.substring(0, begin) + servers + config.substring(end))
                .replace(bind, "  bind 127.0.0.1:" + port + "\n")
                .replace("local0 warning", "local0 info") // one line per request, for failures
            + String.join(
                "\n",
                "",
                "listen stats",
                "  bind 127.0.0.1:" + statsPort,
                "  stats enable",
                "  stats uri /stats",
                "",
                "listen prometheus",
                "  bind 127.0.0.1:" + prometheusPort,
                "  server prometheus 127.0.0.1:"
                    + FleetNetwork.PROMETHEUS_PORT
                    + " namespace "
                    + hub,
                "");
    Path file = work.resolve("haproxy.cfg");
    Files.writeString(file, written);
    Processes.run(new byte[0], haproxy.toString(), "-c", "-q", "-f", file.toString());
    Path log = work.resolve("haproxy.log");
    Process process =
        Processes.start(log, List.of(haproxy.toString(), "-db", "-f", file.toString()));
    FleetHaproxy proxy = new FleetHaproxy(port, statsPort, prometheusPort, process, log);
    ServerProcess.await(
        () -> !process.isAlive() || proxy.stats() != null, Duration.ofSeconds(20), "HAProxy");
    if (!process.isAlive()) {
      throw new AssertionError("haproxy exited: " + Processes.read(log));
    }
    Thread watcher = new Thread(proxy::watch, "fleet-haproxy-stats");
    watcher.setDaemon(true);
    watcher.start();
    return proxy;
  }

  /** Whether HAProxy routes to {@code server} now (status UP, including UP going down). */
  boolean routes(String server) {
    synchronized (routing) {
      return routing.getOrDefault(server, false);
    }
  }

  /** When {@code server} was first seen not routing after {@code afterNanos}, or null. */
  Long stoppedRouting(String server, long afterNanos) {
    for (Change c : changes) {
      if (c.server().equals(server) && !c.routing() && c.nanos() > afterNanos) {
        return c.nanos();
      }
    }
    return null;
  }

  private void watch() {
    while (watching) {
      Map<String, String> statuses = stats();
      long now = System.nanoTime();
      if (statuses != null) {
        synchronized (routing) {
          statuses.forEach(
              (server, status) -> {
                boolean up = status.startsWith("UP");
                Boolean before = routing.put(server, up);
                if (before == null || before != up) {
                  changes.add(new Change(server, up, now));
                }
              });
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Status of each server of the forkserve backend (CSV stats), or null when unreachable. */
  private Map<String, String> stats() {
    try {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + statsPort + "/stats;csv"))
                  .timeout(Duration.ofSeconds(5))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return null;
      }
      Map<String, String> statuses = new HashMap<>();
      List<String> header = null;
      for (String line : r.body().split("\n")) {
        List<String> cells = new ArrayList<>(List.of(line.split(",", -1)));
        if (line.startsWith("# ")) {
          cells.set(0, cells.get(0).substring(2));
          header = cells;
        } else if (header != null && cells.get(0).equals("forkserve") && cells.size() > 1) {
          String name = cells.get(1);
          if (!name.equals("FRONTEND") && !name.equals("BACKEND")) {
            statuses.put(name, cells.get(header.indexOf("status")));
          }
        }
      }
      return statuses;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** Whether HAProxy's log has a line containing {@code text}. */
  boolean logged(String text) {
    try {
      return Processes.read(log).contains(text);
    } catch (IOException e) {
      return false;
    }
  }

  /** HAProxy's log without the lines of requests that ended normally (termination "----"). */
  String log() {
    try {
      StringBuilder out = new StringBuilder();
      for (String line : Processes.read(log).split("\n")) {
        if (!line.contains(" ---- ")) {
          out.append(line).append('\n');
        }
      }
      return out.toString();
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() {
    watching = false;
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
