package io.forkserve.runtime;

import io.undertow.server.HandlerWrapper;
import java.util.List;

/**
 * Implemented by a {@code ServingApi} class that customises the HTTP front. The front creates one
 * instance of the API class (its {@code setup} is not called there) and, when it implements this
 * interface, applies its middlewares and loggers.
 */
public interface FrontExtension {
  /**
   * Undertow wrappers applied around every route, the first one outermost (it sees the request
   * first). Use them for CORS, tracing or extra headers; request latency is already measured.
   */
  default List<HandlerWrapper> middlewares() {
    return List.of();
  }

  /** Loggers receiving {@code log(key, value)} calls from every worker. */
  default List<ValueLogger> loggers() {
    return List.of();
  }
}
