package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one launcher of the servers the tests start: a command ({@code Serve} on the test class
 * path, {@code bin/serve}, a fresh clone's {@code bin/serve}) run with its stdout and stderr kept
 * line by line, its port read from its {@code serving ... on http://HOST:PORT/} line, and waits
 * that end as soon as the process exits. It knows the lines and endpoints every server has, not
 * how a module builds its command: a module's tests may extend it with their own factories (the
 * runtime's {@code ServerProcess} starts {@code Serve} from the test class path).
 */
public class ServerProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("on http://[^:]+:(\\d+)/");

  /**
   * Start-up on an idle machine may take this long before it counts as a hang; stretched by the
   * measured slowdown ({@link Progress#stretched}).
   */
  private static final Duration START_LIMIT = Duration.ofMinutes(3);

  /** The process started: the server's JVM, or the script or wrapper that execs it. */
  public final Process process;

  /** Its stdout and stderr so far, one element per line. */
  public final List<String> stdout = new CopyOnWriteArrayList<>();

  public final List<String> stderr = new CopyOnWriteArrayList<>();

  /** An HTTP/1.1 client with a connect timeout, for requests of the test's own. */
  public final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  private volatile int port = -1;
  private final long startedNanos = System.nanoTime();
  private volatile Duration startup;
  private final String host;
  private final List<Thread> pumps = new CopyOnWriteArrayList<>();

  /** Starts the server {@code launch} describes and begins reading its output. */
  @SuppressWarnings("this-escape") // the readers only add to lists that exist by then
  protected ServerProcess(Launch launch) throws IOException {
    this.process = launch.builder().start();
    this.host = launch.host;
    pump(process.getInputStream(), stdout, true);
    pump(process.getErrorStream(), stderr, false);
  }

  /** A server to start with {@code command}; say how with the {@link Launch} returned. */
  public static Launch launch(List<String> command) {
    return new Launch(command);
  }

  /**
   * How to start a server: its folder, environment and the host it is reached on. The server never
   * inherits the test's metrics directory ({@code METRICS_MULTIPROC_DIR}, {@code
   * PROMETHEUS_MULTIPROC_DIR}) unless {@link #env} gives one.
   */
  public static final class Launch {
    private final List<String> command;
    private final Map<String, String> env = new HashMap<>();
    private final List<String> unset =
        new ArrayList<>(List.of("METRICS_MULTIPROC_DIR", "PROMETHEUS_MULTIPROC_DIR"));
    private Path directory;
    private String host = "127.0.0.1";

    private Launch(List<String> command) {
      this.command = List.copyOf(command);
    }

    /** Runs the command in {@code dir} (default: the test's working directory). */
    public Launch directory(Path dir) {
      this.directory = dir;
      return this;
    }

    /** Sets these variables in the server's environment. */
    public Launch env(Map<String, String> variables) {
      env.putAll(variables);
      return this;
    }

    /** Removes these variables from the environment the server inherits. */
    public Launch unset(String... names) {
      unset.addAll(List.of(names));
      return this;
    }

    /** The address the test reaches the server on (default 127.0.0.1). */
    public Launch host(String address) {
      this.host = address;
      return this;
    }

    /** Starts the server. */
    public ServerProcess start() throws IOException {
      return new ServerProcess(this);
    }

    /** The process to start, its stdin empty (/dev/null: a server reads none). */
    private ProcessBuilder builder() {
      ProcessBuilder builder = new ProcessBuilder(command).redirectInput(new File("/dev/null"));
      if (directory != null) {
        builder.directory(directory.toFile());
      }
      unset.forEach(builder.environment()::remove);
      builder.environment().putAll(env);
      return builder;
    }
  }

  private void pump(InputStream in, List<String> lines, boolean watchPort) {
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
  public ServerProcess awaitListening() {
    awaitWhileAlive(() -> port > 0, Progress.stretched(START_LIMIT), "front to listen");
    return this;
  }

  /** Waits until /health answers 200 (every worker up), notes how long that took, returns this. */
  public ServerProcess awaitHealthy() {
    awaitListening();
    awaitWhileAlive(
        () -> statusOf("/health") == 200, Progress.stretched(START_LIMIT), "/health 200");
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
        Progress.stretched(START_LIMIT),
        "the ready line");
    return this;
  }

  /**
   * Waits until a line of stdout starts with {@code prefix}, for as long as the process keeps
   * writing: fails when it exits first, or when it writes no line on stdout or stderr for {@code
   * quietLimit} (a first start that builds the project, whose length only its output tells).
   * Returns this.
   */
  public ServerProcess awaitLine(String prefix, Duration quietLimit) throws InterruptedException {
    int seen = -1;
    long lastProgress = System.nanoTime();
    while (stdout.stream().noneMatch(l -> l.startsWith(prefix))) {
      if (!process.isAlive()) {
        fail("exited with " + process.exitValue() + " before \"" + prefix + "\": " + output());
      }
      int lines = stdout.size() + stderr.size();
      if (lines != seen) {
        seen = lines;
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > quietLimit.toNanos()) {
        fail("wrote nothing for " + quietLimit + " before \"" + prefix + "\": " + output());
      }
      process.waitFor(200, TimeUnit.MILLISECONDS);
    }
    return this;
  }

  private String output() {
    return "stdout " + stdout + ", stderr " + stderr;
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

  /** The port the server said it serves on; -1 before that line. */
  public int port() {
    return port;
  }

  /** The URI of {@code path} on this server. */
  public URI uri(String path) {
    return URI.create("http://" + host + ":" + port + path);
  }

  /** The status of a GET of {@code path}; -1 when the request fails. */
  public int statusOf(String path) {
    try {
      return get(path).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /** GET {@code path}. */
  public HttpResponse<String> get(String path) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).GET().build());
  }

  /** GET with headers given as name, value pairs (e.g. an X-API-Key for /info). */
  public HttpResponse<String> get(String path, String... headers) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  /** POST {@code body} with headers given as name, value pairs; 30 s timeout. */
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

  /** Sends {@code request} with {@link #http}; the body as a string. */
  public HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  /**
   * Waits for the process to exit and for its last lines; returns its exit code. {@code idleLimit}
   * is stretched by the measured slowdown of the machine ({@link Progress#stretched}).
   */
  public int awaitExit(Duration idleLimit) throws InterruptedException {
    Duration limit = Progress.stretched(idleLimit);
    if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
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
  public static List<Long> processesWith(String marker) {
    List<Long> pids = new ArrayList<>();
    ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(marker)).orElse(false))
        .forEach(p -> pids.add(p.pid()));
    return pids;
  }

  /** SIGTERM, then SIGKILL after 10 s. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
