package io.forkserve.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.internal.LazyLogger;
import io.undertow.server.HttpHandler;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The API's {@link ValueLogger}s in the front: values logged in any worker reach them on one
 * thread, in the order they arrive, so {@code process} calls never overlap.
 */
final class ValueLoggers {
  private static final System.Logger LOG = LazyLogger.of(ValueLoggers.class);

  private final List<ValueLogger> loggers;
  private final ObjectMapper mapper = new ObjectMapper();
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(
          body -> {
            Thread t = new Thread(body, "forkserve-logger");
            t.setDaemon(true);
            return t;
          });

  ValueLoggers(List<ValueLogger> loggers) {
    this.loggers = List.copyOf(loggers);
  }

  /** Hands the JSON value logged under {@code key} to every logger, off the caller's thread. */
  void deliver(String key, byte[] json) {
    if (!loggers.isEmpty()) {
      thread.execute(() -> process(key, json));
    }
  }

  private void process(String key, byte[] json) {
    try {
      Object value = mapper.readTree(json);
      for (ValueLogger logger : loggers) {
        logger.process(key, value);
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "value logger failed for key " + key, e);
    }
  }

  /** The routes every logger mounted, in order. */
  Map<String, HttpHandler> mounts() {
    Map<String, HttpHandler> mounts = new LinkedHashMap<>();
    for (ValueLogger logger : loggers) {
      mounts.putAll(logger.mounts());
    }
    return mounts;
  }
}
