package io.forkserve.runtime;

import io.undertow.server.HttpHandler;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Receives the values user code sends with {@code ServingApi.log(key, value)} in any worker. Runs
 * in the front process, on one logger thread: {@link #process} calls never overlap. A logger may
 * add routes to the front with {@link #mount} (say, a page showing what it saw).
 */
public abstract class ValueLogger {
  private final Map<String, HttpHandler> mounts = new LinkedHashMap<>();

  /** Handles one logged value; {@code value} is the JSON the worker sent, as a Jackson tree. */
  public abstract void process(String key, Object value);

  /**
   * Adds a route: requests for exactly {@code path} go to {@code handler}. Call in the constructor.
   */
  protected final void mount(String path, HttpHandler handler) {
    mounts.put(path, handler);
  }

  /** The routes added by {@link #mount}, in order. */
  public final Map<String, HttpHandler> mounts() {
    return Collections.unmodifiableMap(mounts);
  }
}
