package io.forkserve.runtime;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.front.FrontHandlers;
import io.forkserve.runtime.front.OpenAiRoute;
import io.forkserve.runtime.front.ServerView;
import io.forkserve.runtime.front.ServerView.Probe;
import io.forkserve.runtime.front.StreamEncoding;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.worker.Callback;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.launch.ApiClass;
import io.forkserve.worker.openai.OpenAiChatApi;
import io.forkserve.worker.openai.OpenAiEmbeddingApi;
import io.undertow.server.HandlerWrapper;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * One API at run time: its own queue ({@link Dispatcher}), workers' socket, launcher and {@link
 * WorkerPool}, so a slow API never holds another's requests or workers. Built and started by the
 * supervisor; the view methods are thread-safe once {@link #start} returned.
 */
final class ApiRuntime implements ServerView {
  final ApiConfig config;
  private final Probes probes;
  final ServingApi<?, ?> api;
  final ValueLoggers loggers;
  final List<Callback> callbacks;
  private Dispatcher dispatcher;
  private WorkerSocket socket;
  private ProcessLauncher launcher;
  private volatile WorkerPool pool;
  private MetricsDir metricsDir;

  /** Loads the API's class; see {@link ApiConfig#instantiate} for what it throws. */
  ApiRuntime(ApiConfig config, Probes probes) {
    this.config = config;
    this.probes = probes;
    this.api = config.instantiate();
    this.callbacks = api.callbacks();
    this.loggers =
        new ValueLoggers(
            api instanceof FrontExtension ? ((FrontExtension) api).loggers() : List.of());
  }

  String name() {
    return config.name;
  }

  Settings settings() {
    return config.settings;
  }

  /**
   * Opens the queue and the workers' socket and spawns every worker. With {@code named}, the pool's
   * lines on {@code out} and {@code err} name the API ({@code forkserve: [echo] worker 1/2 ready
   * ...}).
   */
  void start(ServerMetrics metrics, Clock clock, PrintStream out, PrintStream err, boolean named) {
    Settings s = config.settings;
    metricsDir = metrics.dir;
    dispatcher = new Dispatcher(s.maxQueue, s.timeoutNanos, clock::nanoTime);
    socket = WorkerSocket.open(loggers);
    launcher =
        new ProcessLauncher(s, config.className(), config.name, socket.path(), metrics.dir.path);
    metrics.front.touch(config.name);
    PoolEvents events = PoolEvents.of(metrics.front, config.name, metrics.deadWorkers);
    PrintStream poolOut = named ? NamedLines.of(out, config.name) : out;
    PrintStream poolErr = named ? NamedLines.of(err, config.name) : err;
    pool = new WorkerPool(s, clock, launcher, events, RestartPolicy.of(s), poolOut, poolErr);
    socket.accept(pool, dispatcher, s);
    pool.spawnAll();
  }

  /** What the front needs to route this API's requests. */
  FrontHandlers.Api frontApi() {
    FrontHandlers.Api front = new FrontHandlers.Api();
    front.name = config.name;
    front.path = config.settings.apiPath;
    front.maxPayloadBytes = config.settings.maxPayloadBytes;
    front.sendHeaders = ApiClass.wantsHeaders(api);
    front.rawRequests = ApiClass.takesRawRequests(api);
    front.maxFileBytes = config.settings.maxFileBytes;
    front.streamDefault =
        api.streamFormat() == ServingApi.StreamFormat.SSE
            ? StreamEncoding.SSE
            : StreamEncoding.NDJSON;
    front.callbacks = callbacks;
    front.dispatcher = dispatcher;
    front.openAi = openAiRoute(api);
    return front;
  }

  /** The OpenAI-compatible route an API of {@code api}'s kind is served on, or null. */
  static OpenAiRoute openAiRoute(ServingApi<?, ?> api) {
    if (api instanceof OpenAiChatApi) {
      return OpenAiRoute.CHAT;
    }
    return api instanceof OpenAiEmbeddingApi ? OpenAiRoute.EMBEDDINGS : null;
  }

  /** Where requests reach this API: its path, or its OpenAI route (the model is its name). */
  String servedPath() {
    OpenAiRoute route = openAiRoute(api);
    return route == null
        ? config.settings.apiPath
        : route.path() + " (model " + config.name + ")";
  }

  List<HandlerWrapper> middlewares() {
    return api instanceof FrontExtension ? ((FrontExtension) api).middlewares() : List.of();
  }

  Dispatcher dispatcher() {
    return dispatcher;
  }

  /** The pool, or null before {@link #start}. */
  WorkerPool pool() {
    return pool;
  }

  ProcessLauncher launcher() {
    return launcher;
  }

  /** Closes the workers' socket; best effort. */
  void closeSocket() {
    if (socket != null) {
      socket.close();
    }
  }

  @Override
  public boolean isHealthy() {
    WorkerPool p = pool;
    return p != null && p.isHealthy();
  }

  @Override
  public int readyWorkers() {
    WorkerPool p = pool;
    return p == null ? 0 : p.readyWorkers();
  }

  @Override
  public int workers() {
    WorkerPool p = pool;
    return p == null ? config.settings.workers : p.workers();
  }

  @Override
  public Probe live() {
    return probes.live();
  }

  @Override
  public Probe ready() {
    WorkerPool p = pool;
    return p == null
        ? probes.ready(0, config.settings.workers, false)
        : probes.ready(p.readyWorkers(), p.workers(), p.isDraining());
  }

  @Override
  public Probe startup() {
    WorkerPool p = pool;
    return p == null
        ? probes.startup(false, 0, config.settings.workers)
        : probes.startup(p.isStarted(), p.readyWorkers(), p.workers());
  }

  @Override
  public String unhealthyCause() {
    WorkerPool p = pool;
    if (p == null) {
      return "starting";
    }
    return p.isDraining() ? "shutting down" : p.crashLoopCause();
  }

  @Override
  public Map<String, Object> info() {
    Map<String, Object> info = new java.util.LinkedHashMap<>();
    info.put("name", config.name);
    info.putAll(new InfoView(api, config.settings, pool, dispatcher, metricsDir).info());
    return info;
  }

  @Override
  public Map<String, ServerView> apis() {
    return Map.of(config.name, this);
  }

  @Override
  public String toString() {
    return config.toString();
  }
}
