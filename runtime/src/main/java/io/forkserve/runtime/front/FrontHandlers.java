package io.forkserve.runtime.front;

import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.runtime.internal.Clock;
import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.worker.Callback;
import io.undertow.server.HandlerWrapper;
import io.undertow.server.HttpHandler;
import io.undertow.util.Methods;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Assembles the front's handler chain:
 *
 * <pre>
 * RequestMetricsHandler -> user middlewares... -> OpenAiErrors.Shape (with OpenAI APIs)
 *   -> PayloadLimitHandler -> Routes
 *   /health, /health/live, /health/ready, /health/startup, /info, /metrics
 *               -> MethodHandler[GET, HEAD] -> HealthHandler | ProbeHandler
 *               | ApiKeyHandler (with --api-key) -> InfoHandler | MetricsHandler
 *   each API's path -> MethodHandler[POST] -> ApiKeyHandler (with --api-key)
 *               -> PayloadLimitHandler -> CallbackHandler (with callbacks) -> ApiHandler
 *               (one chain per API, each with that API's own Dispatcher)
 *   /v1/chat/completions, /v1/embeddings (OpenAI APIs, instead of their paths)
 *               -> MethodHandler[POST] -> ApiKeyHandler (X-API-Key or Bearer)
 *               -> OpenAiHandler -> by model: CallbackHandler (with callbacks) -> ApiHandler
 *   /v1/models -> MethodHandler[GET, HEAD] -> ApiKeyHandler -> ModelsHandler
 *   /admin/workers, /admin/reload -> AdminHandler (with --admin-token)
 *   logger mounts -> their handlers
 * </pre>
 *
 * <p>{@link #metricsOnly} is the chain of {@code bin/metrics serve}: the same MetricsHandler alone.
 */
public final class FrontHandlers {
  /** One API's route: its path, its own queue and what its chain needs. */
  public static final class Api {
    public String name;
    public String path;
    public long maxPayloadBytes;
    public boolean sendHeaders;

    /** The API takes any content type (it overrides decodeRequest(Request)). */
    public boolean rawRequests;

    /** Largest file of a multipart upload; 0: {@link #maxPayloadBytes}. */
    public long maxFileBytes;

    /** The API's stream format when the Accept header names none. */
    public StreamEncoding streamDefault = StreamEncoding.NDJSON;

    public List<Callback> callbacks = List.of();
    public Dispatcher dispatcher;

    /** The OpenAI-compatible route serving it (model: its name) instead of its path, or null. */
    public OpenAiRoute openAi;
  }

  /** Everything the chain needs; fields are set by the supervisor before {@link #build}. */
  public static final class Spec {
    /** The APIs; when empty, the one API described by the fields below. */
    public List<Api> apis = List.of();

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

    List<Api> apis() {
      if (!apis.isEmpty()) {
        return apis;
      }
      Api one = new Api();
      one.name = "default";
      one.path = apiPath;
      one.maxPayloadBytes = maxPayloadBytes;
      one.sendHeaders = sendHeaders;
      one.rawRequests = rawRequests;
      one.maxFileBytes = maxFileBytes;
      one.streamDefault = streamDefault;
      one.callbacks = callbacks;
      one.dispatcher = dispatcher;
      return List.of(one);
    }
  }

  /** {@code bin/metrics serve} reads no body: the little it accepts is never drained for long. */
  static final long SCRAPE_BODY_LIMIT = 64 * 1024;

  private final HttpHandler root;
  private final RequestMetricsHandler metricsHandler;
  private final Spec spec;
  private final List<Api> apis;

  private FrontHandlers(Spec spec) {
    this.spec = spec;
    this.apis = spec.apis();
    Map<String, HttpHandler> routes = new LinkedHashMap<>(spec.mounts);
    routes.put("/health", readOnly(new HealthHandler(spec.server)));
    routes.put(
        ProbeHandler.LIVE, readOnly(new ProbeHandler(ProbeHandler.LIVE, spec.server::live)));
    routes.put(
        ProbeHandler.READY, readOnly(new ProbeHandler(ProbeHandler.READY, spec.server::ready)));
    routes.put(
        ProbeHandler.STARTUP,
        readOnly(new ProbeHandler(ProbeHandler.STARTUP, spec.server::startup)));
    HttpHandler info = new InfoHandler(spec.server);
    if (spec.apiKey != null && !spec.apiKey.isEmpty()) {
      info = new ApiKeyHandler(spec.apiKey, info);
    }
    routes.put("/info", readOnly(info));
    if (spec.scraper != null) {
      routes.put("/metrics", readOnly(new MetricsHandler(spec.scraper, this::sample)));
    }
    for (Api api : apis) {
      if (api.openAi == null) {
        routes.put(api.path, apiChain(api, spec.apiKey));
      }
    }
    boolean openAi = addOpenAiRoutes(routes);
    if (spec.adminToken != null && !spec.adminToken.isEmpty()) {
      AdminHandler admin = new AdminHandler(spec.adminToken, spec.admin);
      routes.put(AdminHandler.WORKERS, admin);
      routes.put(AdminHandler.RELOAD, admin);
    }
    // the largest API limit for every route; each API's chain applies its own below it
    long maxPayload = spec.maxPayloadBytes;
    for (Api api : apis) {
      maxPayload = Math.max(maxPayload, api.maxPayloadBytes);
    }
    HttpHandler chain = new PayloadLimitHandler(maxPayload, new Routes(routes));
    if (openAi) {
      chain = new OpenAiErrors.Shape(chain);
    }
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
  public static HttpHandler metricsOnly(DirectoryScraper scraper) {
    HttpHandler metrics = new MetricsHandler(scraper, () -> {});
    return new PayloadLimitHandler(
        SCRAPE_BODY_LIMIT, new Routes(Map.of("/metrics", readOnly(metrics))));
  }

  /** GET and HEAD pass; every other method gets 405 with a JSON error. */
  private static HttpHandler readOnly(HttpHandler next) {
    return new MethodHandler(List.of(Methods.GET, Methods.HEAD), next);
  }

  /** The root handler to give Undertow. */
  public HttpHandler root() {
    return root;
  }

  private HttpHandler apiChain(Api api, String apiKey) {
    HttpHandler chain = new PayloadLimitHandler(api.maxPayloadBytes, queueChain(api));
    return new MethodHandler(Methods.POST, withKey(apiKey, false, chain));
  }

  /**
   * Adds the OpenAI-compatible routes of the APIs that have one: each route dispatches by model
   * (the API's name) to that API's queue chain, and {@code /v1/models} lists them all. Returns
   * false when no API has one.
   */
  private boolean addOpenAiRoutes(Map<String, HttpHandler> routes) {
    Map<OpenAiRoute, Map<String, OpenAiHandler.Target>> byRoute = new EnumMap<>(OpenAiRoute.class);
    List<String> models = new ArrayList<>();
    for (Api api : apis) {
      if (api.openAi != null) {
        byRoute
            .computeIfAbsent(api.openAi, r -> new LinkedHashMap<>())
            .put(api.name, new OpenAiHandler.Target(api, queueChain(api)));
        models.add(api.name);
      }
    }
    for (Map.Entry<OpenAiRoute, Map<String, OpenAiHandler.Target>> route : byRoute.entrySet()) {
      HttpHandler handler = new OpenAiHandler(route.getKey(), route.getValue());
      routes.put(
          route.getKey().path(),
          new MethodHandler(Methods.POST, withKey(spec.apiKey, true, handler)));
    }
    if (!models.isEmpty()) {
      HttpHandler list = new ModelsHandler(models, System.currentTimeMillis() / 1000);
      routes.put(OpenAiRoute.MODELS, readOnly(withKey(spec.apiKey, true, list)));
    }
    return !models.isEmpty();
  }

  /** {@code next} behind the API key check when {@code apiKey} is set. */
  private static HttpHandler withKey(String apiKey, boolean bearer, HttpHandler next) {
    return apiKey == null || apiKey.isEmpty() ? next : new ApiKeyHandler(apiKey, bearer, next);
  }

  /** The part of an API's chain that queues its requests: callbacks, then the ApiHandler. */
  private HttpHandler queueChain(Api api) {
    Runnable cancelled = spec.metrics == null ? () -> {} : spec.metrics::streamCancelled;
    HttpHandler chain =
        new ApiHandler(
            api.dispatcher,
            spec.blockingPool,
            new ApiHandler.Options(
                api.sendHeaders,
                api.rawRequests,
                api.streamDefault,
                api.maxPayloadBytes,
                api.maxFileBytes > 0 ? api.maxFileBytes : api.maxPayloadBytes,
                cancelled));
    if (!api.callbacks.isEmpty()) {
      chain = new CallbackHandler(api.callbacks, chain);
    }
    return chain;
  }

  private void sample() {
    if (spec.metrics != null) {
      spec.metrics.sample(metricsHandler.inFlight());
      for (Api api : apis) {
        spec.metrics.queueDepth(api.name, api.dispatcher.queueDepth());
      }
    }
  }

  @Override
  public String toString() {
    return root.toString();
  }
}
