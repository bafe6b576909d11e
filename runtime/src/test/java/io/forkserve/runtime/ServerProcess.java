package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.fail;

import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code Serve} process started from the test class path, with its output captured; the
 * shared fixture of the process tests.
 */
public final class ServerProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("on http://[^:]+:(\\d+)/");

  /** bin/serve's line of the front's default JVM options (read before FRONT_JVM_FLAGS). */
  private static final Pattern DEFAULT_OPTS =
      Pattern.compile("^forkserve_default_opts=\"([^\"]+)\"$");

  /**
   * The front's JVM flags: bin/serve's default {@code FORKSERVE_JVM_OPTS}, read from bin/serve so
   * the two cannot drift, so the tests run the front as users do (the serial collector, the C1
   * compiler only: no C2 compile threads in every server the suite starts); with bin/serve's
   * class-data archive when there is one ({@link ServerClassData}).
   */
  static final List<String> FRONT_JVM_FLAGS = binServeDefaultOpts();

  /** Start-up may take this long before it counts as a hang (a busy 2-core machine included). */
  private static final Duration START_LIMIT = Duration.ofMinutes(3);

  final Process process;
  final List<String> stdout = new CopyOnWriteArrayList<>();
  final List<String> stderr = new CopyOnWriteArrayList<>();
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private volatile int port = -1;
  private final long startedNanos = System.nanoTime();
  private volatile Duration startup;

  private final String host;
  private final List<Thread> pumps = new CopyOnWriteArrayList<>();

  private ServerProcess(Process process, String host) {
    this.process = process;
    this.host = host;
    pump(process.getInputStream(), stdout, true);
    pump(process.getErrorStream(), stderr, false);
  }

  /**
   * Starts {@code Serve} with {@code args} (port 0 and drain delay 0 unless given: a test that
   * drains says so) and extra environment.
   */
  public static ServerProcess start(Map<String, String> env, String... args) throws IOException {
    return startUnder(List.of(), "127.0.0.1", env, args);
  }

  /**
   * As {@link #start(Map, String...)}, the command run under {@code prefix} (e.g. {@code ip netns
   * exec NAME}, which execs it: the process is the server's JVM) and reached on {@code host}.
   */
  static ServerProcess startUnder(
      List<String> prefix, String host, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(prefix);
    ServerClassData.Sharing sharing = ServerClassData.get();
    List<String> flags = new ArrayList<>(sharing.jvmOptions());
    flags.addAll(FRONT_JVM_FLAGS);
    List<String> java = Processes.javaCommand(flags, Serve.class.getName(), args);
    if (!sharing.classPathPrefix().isEmpty()) {
      // bin/serve's class path first (the archive's), the test classes after it
      int cp = java.indexOf("-cp") + 1;
      java.set(cp, sharing.classPath(java.get(cp)));
    }
    command.addAll(java);
    if (!List.of(args).contains("--port")) {
      command.add("--port");
      command.add("0");
    }
    if (!List.of(args).contains("--drain-delay")) {
      command.add("--drain-delay");
      command.add("0");
    }
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("METRICS_MULTIPROC_DIR");
    builder.environment().remove("PROMETHEUS_MULTIPROC_DIR");
    builder.environment().putAll(env);
    return new ServerProcess(builder.start(), host);
  }

  /** Runs {@code command} (e.g. {@code bin/serve ...}) with extra environment, output captured. */
  static ServerProcess run(List<String> command, Map<String, String> env) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().remove("METRICS_MULTIPROC_DIR");
    builder.environment().remove("PROMETHEUS_MULTIPROC_DIR");
    builder.environment().putAll(env);
    return new ServerProcess(builder.start(), "127.0.0.1");
  }

  /** The options of bin/serve's {@code forkserve_default_opts=} line; fails without one. */
  private static List<String> binServeDefaultOpts() {
    Path serve = Fixtures.projectRoot().resolve("bin/serve");
    try {
      for (String line : Files.readAllLines(serve, StandardCharsets.UTF_8)) {
        Matcher m = DEFAULT_OPTS.matcher(line);
        if (m.matches()) {
          return List.of(m.group(1).trim().split("\\s+"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(serve.toString(), e);
    }
    throw new AssertionError("no forkserve_default_opts=\"...\" line in " + serve);
  }

  static ServerProcess start(String... args) throws IOException {
    return start(Map.of(), args);
  }

  private void pump(java.io.InputStream in, List<String> lines, boolean watchPort) {
    Thread thread =
        new Thread(
            () -> {
              try (BufferedReader reader =
                  new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                  lines.add(line);
                  Matcher m = SERVING.matcher(line);
                  if (watchPort && port < 0 && m.find()) {
                    port = Integer.parseInt(m.group(1));
                  }
                }
              } catch (IOException e) {
                // process gone
              }
            });
    thread.setDaemon(true);
    pumps.add(thread);
    thread.start();
  }

  /**
   * Waits until the front listens and returns this. The limit only catches a hang: the wait
   * ends early when the process exits.
   */
  ServerProcess awaitListening() {
    awaitWhileAlive(() -> port > 0, START_LIMIT, "front to listen");
    return this;
  }

  /** Waits until /health answers 200 (every worker up), notes how long that took, returns this. */
  public ServerProcess awaitHealthy() {
    awaitListening();
    awaitWhileAlive(() -> statusOf("/health") == 200, START_LIMIT, "/health 200");
    startup = Duration.ofNanos(System.nanoTime() - startedNanos);
    return this;
  }

  /**
   * Waits until /health answers 200 and the server said it is ready: start-up is complete, so
   * the front's own JVM metrics and the archive of dead workers are there too. Returns this.
   */
  public ServerProcess awaitReady() {
    awaitHealthy();
    awaitWhileAlive(
        () -> stdout.stream().anyMatch(l -> l.startsWith("forkserve: ready in")),
        START_LIMIT,
        "the ready line");
    return this;
  }

  /** Waits for {@code condition} while the server runs; fails with its stderr when it exits. */
  public void awaitWhileAlive(BooleanSupplier condition, Duration limit, String what) {
    try {
      Progress.await(condition, process::isAlive, limit, what);
    } catch (AssertionError e) {
      fail(e.getMessage() + "; stderr " + stderr);
    }
  }

  /**
   * How long this server took from start to healthy (all workers up) on this run: the measure
   * for later waits on workers, e.g. {@code Progress.scaled(server.startup(), 5, ...)}.
   */
  public Duration startup() {
    if (startup == null) {
      throw new IllegalStateException("awaitHealthy() first");
    }
    return startup;
  }

  public int port() {
    return port;
  }

  URI uri(String path) {
    return URI.create("http://" + host + ":" + port + path);
  }

  int statusOf(String path) {
    try {
      return get(path).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  HttpResponse<String> get(String path) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  /** GET with headers given as name, value pairs (e.g. an X-API-Key for /info). */
  HttpResponse<String> get(String path, String... headers) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  public HttpResponse<String> post(String path, String body, String... headers) throws IOException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /**
   * Waits for the process to exit and returns its exit code; {@code idleLimit} is stretched by
   * the measured slowdown of the machine ({@link Progress#stretched}).
   */
  int awaitExit(Duration idleLimit) throws InterruptedException {
    Duration limit = Progress.stretched(idleLimit);
    if (!process.waitFor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
      fail("server did not exit within " + limit + "; stderr " + stderr);
    }
    for (Thread pump : pumps) { // its last lines; bounded, as a worker may hold the pipe open
      pump.join(Progress.stretched(Duration.ofSeconds(2)).toMillis());
    }
    return process.exitValue();
  }

  /**
   * Polls {@code condition} until it holds or {@code idleLimit}, a limit for an idle machine
   * stretched by the measured slowdown ({@link Progress#stretched}), passes; then fails.
   */
  public static void await(BooleanSupplier condition, Duration idleLimit, String what) {
    Progress.await(condition, () -> true, Progress.stretched(idleLimit), what);
  }

  /** Pids of live processes whose command line mentions {@code marker}. */
  static List<Long> processesWith(String marker) {
    List<Long> pids = new ArrayList<>();
    ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .forEach(p -> pids.add(p.pid()));
    return pids;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
