package io.forkserve.worker.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.worker.Callback;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.WorkerContext;
import io.forkserve.worker.channel.FrameReader;
import io.forkserve.worker.channel.FrameWriter;
import io.forkserve.worker.channel.Frames;
import io.forkserve.worker.jvm.JvmMetrics;
import io.forkserve.worker.launch.ApiClass;
import io.forkserve.worker.launch.WorkerArgs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of a worker process, started by the supervisor. Arguments are {@code key=value}:
 * {@code socket}, {@code index}, {@code workers}, {@code api}, {@code jar} (may be empty), {@code
 * max-batch-size}, {@code device}, {@code print-setup-trace} (false: a failed setup prints no stack
 * trace, the supervisor already saw one), {@code jvm-metrics} (false: no process and JVM metrics,
 * see {@link JvmMetrics}; also passed on), {@code metrics-format} ({@code v1} or {@code v2}, the
 * format of its metric files; also passed on); every other pair is passed to {@link
 * WorkerContext#config()}.
 */
public final class WorkerMain {
  /*
   * Life cycle. The worker connects to the front's socket, sends HELLO, runs setup(), then READY
   * (or FAILED and exits 3). It serves on the main thread until the socket reports EOF. It also
   * exits when its parent (the supervisor) is gone: a daemon thread polls every
   * PARENT_POLL_MILLIS whether this process was reparented (its parent pid changed, which the
   * kernel does at the parent's death, before anyone reaps it: a zombie supervisor counts as
   * gone), because a worker busy in predict or setup reads no EOF, and a worker must never
   * outlive its supervisor. The heartbeat thread sends HEALTH about once a second while the
   * serving thread makes progress (see Liveness); a failed write there also means the front is
   * gone. A worker whose supervisor is gone halts at once: its metric values are in shared memory
   * already, and a JVM shutdown on a busy machine takes a second or more. An EOF while the
   * supervisor lives (a retired worker) is a normal exit.
   */

  static final long PARENT_POLL_MILLIS = 50;
  static final long HEARTBEAT_MILLIS = 1000;
  static final int EXIT_SETUP_FAILED = 3;
  static final int EXIT_FRONT_GONE = 4;

  private WorkerMain() {}

  /** The registry to close at exit; set once setup opened it. */
  private static volatile MetricsRegistry openRegistry;

  /** The supervisor's pid, read once at start. */
  private static volatile long parentPid = -1;

  /**
   * Runs a worker; see the class javadoc for the arguments. A front that is gone or going (the
   * socket refuses or breaks, the JVM is already shutting down) ends the worker quietly: that is
   * the supervisor stopping, not an error to report.
   */
  public static void main(String[] args) {
    try {
      Runtime.getRuntime().addShutdownHook(new Thread(WorkerMain::closeRegistry, "close-metrics"));
    } catch (IllegalStateException shutdownInProgress) {
      Runtime.getRuntime().halt(EXIT_FRONT_GONE);
    }
    try {
      run(parse(args));
    } catch (IOException frontGone) {
      Runtime.getRuntime().halt(EXIT_FRONT_GONE);
    }
  }

  private static void closeRegistry() {
    MetricsRegistry registry = openRegistry;
    if (registry != null) {
      registry.close();
    }
  }

  private static void run(Map<String, String> settings) throws IOException {
    watchParent();
    int index = Integer.parseInt(settings.remove(WorkerArgs.INDEX));
    int workers = Integer.parseInt(settings.remove(WorkerArgs.WORKERS));
    String apiClass = settings.remove(WorkerArgs.API);
    String jar = settings.remove(WorkerArgs.JAR);
    String apiName = settings.getOrDefault(WorkerArgs.API_NAME, "default");
    String device = settings.getOrDefault(WorkerArgs.DEVICE, "cpu");
    int maxBatchSize = Integer.parseInt(settings.getOrDefault(WorkerArgs.MAX_BATCH_SIZE, "1"));
    Path socket = Path.of(settings.remove(WorkerArgs.SOCKET));
    boolean printTrace = !"false".equals(settings.remove(WorkerArgs.PRINT_SETUP_TRACE));
    boolean jvmMetrics = !"false".equals(settings.get(WorkerArgs.JVM_METRICS));

    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket));
    FrameWriter writer = new FrameWriter(channel, 64 * 1024);
    Object writeLock = new Object();

    ServingApi<Object, Object> api;
    MetricsRegistry registry = null;
    long setupNanos = 0;
    try {
      api = ApiClass.instantiate(apiClass, jar);
      sendHello(writer, index, maxBatchSize, api);
      registry = openRegistry(settings.getOrDefault(WorkerArgs.METRICS_FORMAT, "v2"));
      openRegistry = registry;
      if (registry != null && jvmMetrics) {
        startJvmMetrics(registry, processLabel(apiName, index), index);
      }
      LogForwarder logs = new LogForwarder(writer, writeLock);
      api.attachLogSink(logs::send);
      long start = System.nanoTime();
      setup(api, new WorkerContext(index, workers, device, settings, registry));
      setupNanos = System.nanoTime() - start;
    } catch (Throwable e) {
      synchronized (writeLock) {
        Frames.writeFailed(writer, describe(e));
        writer.flush();
      }
      if (printTrace) {
        System.err.println(stackTrace(e));
      }
      System.exit(EXIT_SETUP_FAILED);
      return;
    }
    StageMetrics metrics =
        registry == null
            ? null
            : StageMetrics.register(registry, apiName, api.getClass(), maxBatchSize > 1);
    synchronized (writeLock) {
      Frames.writeReady(writer, setupNanos);
      writer.flush();
    }
    Liveness liveness = new Liveness(System::nanoTime);
    startHeartbeat(api, liveness, new FrameWriter(channel, 64), writeLock);
    FrameReader reader = new FrameReader(channel, 256 * 1024);
    try {
      new ServingLoop<>(api, maxBatchSize, reader, writer, writeLock, metrics, liveness).run();
    } catch (IOException e) {
      // EOF or a broken socket: the front is gone.
    }
    exitFrontGone();
  }

  /**
   * The {@code worker} label of this process's JVM metrics: the slot index, or {@code API-INDEX}
   * when the server runs several APIs (each API has its own slots 0..n-1), so the label stays
   * bounded and unique per live process.
   */
  static String processLabel(String apiName, int index) {
    return "default".equals(apiName) ? Integer.toString(index) : apiName + "-" + index;
  }

  /** Starts the JVM metrics sampler; a failure is one line on stderr, never a failed worker. */
  private static void startJvmMetrics(MetricsRegistry registry, String label, int index) {
    try {
      JvmMetrics.start(registry, label);
    } catch (RuntimeException e) {
      System.err.println("forkserve: worker " + index + ": no JVM metrics: " + e.getMessage());
    }
  }

  private static void setup(ServingApi<Object, Object> api, WorkerContext context)
      throws Exception {
    for (Callback c : api.callbacks()) {
      c.beforeSetup(api);
    }
    api.setup(context);
    for (Callback c : api.callbacks()) {
      c.afterSetup(api);
    }
  }

  private static void sendHello(
      FrameWriter writer, int index, int maxBatchSize, ServingApi<?, ?> api) throws IOException {
    int concurrency = Math.max(1, api.maxConcurrency());
    Frames.writeHello(
        writer,
        index,
        ProcessHandle.current().pid(),
        concurrency > 1 ? concurrency : CreditWindow.initial(maxBatchSize),
        api.isStreaming(),
        ApiClass.wantsHeaders(api),
        api.streamFormat() == ServingApi.StreamFormat.SSE,
        ApiClass.takesRawRequests(api),
        api.getClass().getName());
    writer.flush();
  }

  private static MetricsRegistry openRegistry(String format) {
    String dir = System.getenv(MetricsRegistry.ENV);
    if (dir == null) {
      return null;
    }
    return MetricsRegistry.builder(Path.of(dir))
        .formatVersion(FormatVersion.fromToken(format))
        .open();
  }

  /** Exits after the front closed the channel: at once when the supervisor itself is gone. */
  private static void exitFrontGone() {
    if (parentGone()) {
      Runtime.getRuntime().halt(0);
    }
    System.exit(0);
  }

  /** True once this process was reparented: the supervisor that started it has died. */
  static boolean parentGone() {
    return ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(-1L) != parentPid;
  }

  private static void watchParent() {
    ProcessHandle parent = ProcessHandle.current().parent().orElse(null);
    if (parent == null) {
      System.exit(0);
    }
    parentPid = parent.pid();
    Thread watcher =
        new Thread(
            () -> {
              while (!parentGone()) {
                try {
                  Thread.sleep(PARENT_POLL_MILLIS);
                } catch (InterruptedException e) {
                  return;
                }
              }
              Runtime.getRuntime().halt(0);
            },
            "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void startHeartbeat(
      ServingApi<?, ?> api, Liveness liveness, FrameWriter writer, Object lock) {
    long period = HEARTBEAT_MILLIS * 1_000_000;
    Thread heartbeat =
        new Thread(
            () -> {
              try {
                while (true) {
                  if (!liveness.isAlive(period)) {
                    Thread.sleep(HEARTBEAT_MILLIS);
                    continue;
                  }
                  boolean healthy = healthOf(api);
                  synchronized (lock) {
                    Frames.writeHealth(writer, healthy);
                    writer.flush();
                  }
                  Thread.sleep(HEARTBEAT_MILLIS);
                }
              } catch (IOException | InterruptedException e) {
                exitFrontGone();
              }
            },
            "heartbeat");
    heartbeat.setDaemon(true);
    heartbeat.start();
  }

  private static boolean healthOf(ServingApi<?, ?> api) {
    try {
      return api.health();
    } catch (RuntimeException e) {
      return false;
    }
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> settings = new LinkedHashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("worker argument must be key=value, not " + arg);
      }
      settings.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    return settings;
  }

  /** One line naming the error and its root cause. */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String line = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (root != e) {
      line += " (caused by " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
    return line;
  }

  private static String stackTrace(Throwable e) {
    StringWriter out = new StringWriter();
    e.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  /** Sends {@code log(key, value)} calls to the front as LOG frames. */
  static final class LogForwarder {
    private final FrameWriter writer;
    private final Object lock;
    private final ObjectMapper mapper = new ObjectMapper();

    LogForwarder(FrameWriter writer, Object lock) {
      this.writer = writer;
      this.lock = lock;
    }

    void send(String key, Object value) {
      try {
        byte[] json = mapper.writeValueAsBytes(value);
        synchronized (lock) {
          Frames.writeLog(writer, key, json);
        }
      } catch (IOException e) {
        throw new IllegalArgumentException("log value for " + key + " is not JSON-writable", e);
      }
    }
  }
}
