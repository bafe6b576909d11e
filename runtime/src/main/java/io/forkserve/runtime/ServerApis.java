package io.forkserve.runtime;

import io.forkserve.runtime.front.AdminActions;
import io.forkserve.runtime.front.ServerView;
import io.forkserve.runtime.front.ServerView.Probe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Every API of one server seen as one: the front's {@link ServerView} (health, probes, worker
 * counts, {@code /info}) and {@link AdminActions} (scale, reload), each answered from the APIs'
 * own views and addressed to one API by name. Thread-safe: the supervisor sets the APIs once,
 * the front and signal handlers read.
 */
final class ServerApis implements ServerView, AdminActions {
  private final Probes probes;
  private volatile List<ApiRuntime> all = List.of();
  private volatile boolean poolsStarted;
  private volatile Settings server;
  private volatile Path metricsDir;

  ServerApis(Probes probes) {
    this.probes = probes;
  }

  /** The loaded APIs, in config order; their pools do not exist yet. */
  void loaded(List<ApiRuntime> apis, Settings server) {
    this.server = server;
    this.all = List.copyOf(apis);
  }

  /** Every API's pool spawned its workers: scaling and reload are allowed from now on. */
  void poolsStarted(Path metricsDir) {
    this.metricsDir = metricsDir;
    this.poolsStarted = true;
  }

  /** The APIs, in config order (empty before {@link #loaded}). */
  List<ApiRuntime> list() {
    return all;
  }

  boolean poolsStarted() {
    return poolsStarted;
  }

  /** Requests queued or held by a worker, over every API. */
  int inProgress() {
    int jobs = 0;
    for (ApiRuntime api : all) {
      jobs += api.dispatcher().queueDepth() + api.dispatcher().inWorkers();
    }
    return jobs;
  }

  @Override
  public boolean isHealthy() {
    for (ApiRuntime api : all) {
      if (!api.isHealthy()) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String unhealthyCause() {
    List<ApiRuntime> apis = all;
    for (ApiRuntime api : apis) {
      String cause = api.unhealthyCause();
      if (cause != null) {
        return apis.size() == 1 ? cause : "API " + api.name() + ": " + cause;
      }
    }
    return null;
  }

  @Override
  public Probe live() {
    return probes.live();
  }

  /** Ready when every API has enough ready workers and none drains; else the first that is not. */
  @Override
  public Probe ready() {
    return worst(ApiRuntime::ready);
  }

  /** Started once every API's workers were all ready once. */
  @Override
  public Probe startup() {
    return worst(ApiRuntime::startup);
  }

  private Probe worst(Function<ApiRuntime, Probe> probe) {
    Probe last = new Probe(false, Map.of("status", "unavailable", "cause", "starting"));
    for (ApiRuntime api : all) {
      last = probe.apply(api);
      if (!last.ok()) {
        return last;
      }
    }
    return last;
  }

  @Override
  public int readyWorkers() {
    return all.stream().mapToInt(ApiRuntime::readyWorkers).sum();
  }

  @Override
  public int workers() {
    return all.stream().mapToInt(ApiRuntime::workers).sum();
  }

  @Override
  public Map<String, ServerView> apis() {
    Map<String, ServerView> views = new LinkedHashMap<>();
    for (ApiRuntime api : all) {
      views.put(api.name(), api);
    }
    return views;
  }

  @Override
  public void scaleTo(String api, int workers) {
    startedPool(one(api), "scale").scaleTo(workers);
  }

  /**
   * Adds ({@code +1}) or removes ({@code -1}) one worker of every API, never going below one;
   * IllegalStateException while the server starts.
   */
  void scaleBy(int delta) {
    for (ApiRuntime api : all) {
      startedPool(api, "scale").scaleBy(delta);
    }
  }

  @Override
  public void reload(String api) {
    if (api != null) {
      startedPool(one(api), "reload").reload();
      return;
    }
    List<ApiRuntime> apis = all;
    for (ApiRuntime each : apis) {
      startedPool(each, "reload");
    }
    for (ApiRuntime each : apis) {
      each.pool().reload();
    }
  }

  /** The API named {@code name}; null names the only API. */
  private ApiRuntime one(String name) {
    List<ApiRuntime> apis = all;
    if (name == null) {
      if (apis.size() != 1) {
        throw new IllegalArgumentException(
            "the server runs " + apis.size() + " APIs; name one with api=NAME");
      }
      return apis.get(0);
    }
    for (ApiRuntime api : apis) {
      if (api.name().equals(name)) {
        return api;
      }
    }
    throw new IllegalArgumentException("no API named " + name + "; see /info");
  }

  private WorkerPool startedPool(ApiRuntime api, String action) {
    if (!poolsStarted || api.pool() == null) {
      throw new IllegalStateException(
          "the server is still starting; " + action + " it once it is ready");
    }
    return api.pool();
  }

  @Override
  public Map<String, Object> info() {
    List<ApiRuntime> apis = all;
    List<Map<String, Object>> each = new ArrayList<>();
    for (ApiRuntime api : apis) {
      each.add(api.info());
    }
    Map<String, Object> info = new LinkedHashMap<>();
    if (apis.size() == 1) {
      info.putAll(each.get(0));
      info.remove("name");
    } else {
      info.put("healthy", isHealthy());
      info.put("settings", server.visible());
      info.put("metrics_dir", String.valueOf(metricsDir));
    }
    info.put("apis", each);
    return info;
  }
}
