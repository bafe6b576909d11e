package io.forkserve.runtime.front;

import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.worker.Callback;
import io.undertow.server.HandlerWrapper;
import io.undertow.server.HttpHandler;
import io.undertow.util.Methods;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Assembles the front's handler chain:
 *
 * <pre>
 * RequestMetricsHandler -> user middlewares... -> Routes
 *   /health  -> HealthHandler          /info -> InfoHandler      /metrics -> MetricsHandler
 *   API path -> MethodHandler[POST] -> ApiKeyHandler (with --api-key)
 *               -> PayloadLimitHandler -> CallbackHandler (with callbacks) -> ApiHandler
 *   /admin/workers, /admin/reload -> AdminHandler (with --admin-token)
 *   logger mounts -> their handlers
 * </pre>
 *
 * <p>{@link #metricsOnly} is the chain of {@code bin/metrics serve}: the same MetricsHandler alone.
 */
public final class FrontHandlers {
  /** Everything the chain needs; fields are set by the supervisor before {@link #build}. */
  public static final class Spec {
    public String apiPath = "/predict";
    public String apiKey;
    public long maxPayloadBytes;
    public boolean sendHeaders;

    /** The api takes any content type (it overrides decodeRequest(Request)). */
    public boolean rawRequests;

    /** Largest file of a multipart upload; 0: {@link #maxPayloadBytes}. */
    public long maxFileBytes;

    /** The api's stream format when the Accept header names none. */
    public StreamEncoding streamDefault = StreamEncoding.NDJSON;
    public List<HandlerWrapper> middlewares = List.of();
    public List<Callback> callbacks = List.of();
    public Map<String, HttpHandler> mounts = Map.of();
    public Dispatcher dispatcher;
    public ServerView server;
    public FrontMetrics metrics;
    public DirectoryScraper scraper;
    public Executor blockingPool;
    public Clock clock = Clock.SYSTEM;

    /** Token of the admin endpoint; null or empty turns the endpoint off. */
    public String adminToken;

    public AdminActions admin;
  }

  private final HttpHandler root;
  private final RequestMetricsHandler metricsHandler;
  private final Spec spec;

  private FrontHandlers(Spec spec) {
    this.spec = spec;
    Map<String, HttpHandler> routes = new LinkedHashMap<>(spec.mounts);
    routes.put("/health", new HealthHandler(spec.server));
    routes.put("/info", new InfoHandler(spec.server));
    if (spec.scraper != null) {
      routes.put("/metrics", new MetricsHandler(spec.scraper, this::sample, spec.blockingPool));
    }
    routes.put(spec.apiPath, apiChain(spec));
    if (spec.adminToken != null && !spec.adminToken.isEmpty()) {
      AdminHandler admin = new AdminHandler(spec.adminToken, spec.admin);
      routes.put(AdminHandler.WORKERS, admin);
      routes.put(AdminHandler.RELOAD, admin);
    }
    HttpHandler chain = new Routes(routes);
    for (int i = spec.middlewares.size() - 1; i >= 0; i--) {
      chain = spec.middlewares.get(i).wrap(chain);
    }
    metricsHandler = new RequestMetricsHandler(chain, spec.metrics, spec.clock);
    root = metricsHandler;
  }

  /** Builds the chain for {@code spec}. */
  public static FrontHandlers build(Spec spec) {
    return new FrontHandlers(spec);
  }

  /**
   * The chain of {@code bin/metrics serve}: {@code GET /metrics} of {@code scraper}, the same
   * handler as the front's, and 404 for every other path.
   */
  public static HttpHandler metricsOnly(DirectoryScraper scraper, Executor blockingPool) {
    HttpHandler metrics = new MetricsHandler(scraper, () -> {}, blockingPool);
    return new Routes(Map.of("/metrics", new MethodHandler(Methods.GET, metrics)));
  }

  /** The root handler to give Undertow. */
  public HttpHandler root() {
    return root;
  }

  private static HttpHandler apiChain(Spec spec) {
    Runnable cancelled = spec.metrics == null ? () -> {} : spec.metrics::streamCancelled;
    HttpHandler chain =
        new ApiHandler(
            spec.dispatcher,
            spec.blockingPool,
            new ApiHandler.Options(
                spec.sendHeaders,
                spec.rawRequests,
                spec.streamDefault,
                spec.maxPayloadBytes,
                spec.maxFileBytes > 0 ? spec.maxFileBytes : spec.maxPayloadBytes,
                cancelled));
    if (!spec.callbacks.isEmpty()) {
      chain = new CallbackHandler(spec.callbacks, chain);
    }
    chain = new PayloadLimitHandler(spec.maxPayloadBytes, chain);
    if (spec.apiKey != null && !spec.apiKey.isEmpty()) {
      chain = new ApiKeyHandler(spec.apiKey, chain);
    }
    return new MethodHandler(Methods.POST, chain);
  }

  private void sample() {
    if (spec.metrics != null) {
      spec.metrics.sample(metricsHandler.inFlight(), spec.dispatcher.queueDepth());
    }
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
