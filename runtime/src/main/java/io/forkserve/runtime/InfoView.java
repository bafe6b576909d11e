package io.forkserve.runtime;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.front.OpenAiRoute;
import io.forkserve.worker.ServingApi;
import java.util.LinkedHashMap;
import java.util.Map;

/** The body of {@code GET /info}: the API, the queue, every slot's worker, restarts, settings. */
final class InfoView {
  private final ServingApi<?, ?> api;
  private final Settings settings;
  private final WorkerPool pool;
  private final Dispatcher dispatcher;
  private final MetricsDir metricsDir;

  InfoView(
      ServingApi<?, ?> api,
      Settings settings,
      WorkerPool pool,
      Dispatcher dispatcher,
      MetricsDir metricsDir) {
    this.api = api;
    this.settings = settings;
    this.pool = pool;
    this.dispatcher = dispatcher;
    this.metricsDir = metricsDir;
  }

  /** A new map, safe to serialise while the pool changes. */
  Map<String, Object> info() {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("api", api.getClass().getName());
    info.put("metadata", api.metadata());
    OpenAiRoute route = ApiRuntime.openAiRoute(api);
    info.put("api_path", route == null ? settings.apiPath : route.path());
    info.put("streaming", api.isStreaming());
    info.put("healthy", pool.isHealthy());
    info.put("queue_depth", dispatcher.queueDepth());
    info.put("in_workers", dispatcher.inWorkers());
    info.put("workers", pool.describeWorkers());
    info.put("desired_workers", pool.workers());
    info.put("restarts", pool.restarts());
    String crashLoop = pool.crashLoopCause();
    info.put("crash_loop", crashLoop != null);
    info.put("crash_loop_cause", crashLoop);
    info.put("spawns", pool.spawns());
    info.put("settings", settings.shown());
    info.put("metrics_dir", metricsDir.path.toString());
    return info;
  }
}
