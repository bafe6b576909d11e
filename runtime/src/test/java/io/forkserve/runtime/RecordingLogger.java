package io.forkserve.runtime;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.worker.Callback;
import io.forkserve.worker.RequestInfo;
import io.undertow.util.Headers;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test logger: keeps what workers logged and what the front's request callbacks saw, and shows both
 * as JSON at {@code /logged}.
 */
final class RecordingLogger extends ValueLogger {
  final List<Object> values = new CopyOnWriteArrayList<>();
  final AtomicInteger requests = new AtomicInteger();
  final AtomicInteger responses = new AtomicInteger();
  final Callback counter =
      new Callback() {
        @Override
        public void onRequest(RequestInfo request) {
          requests.incrementAndGet();
        }

        @Override
        public void onResponse(RequestInfo request, int status) {
          responses.incrementAndGet();
        }
      };

  RecordingLogger() {
    ObjectMapper mapper = new ObjectMapper();
    mount(
        "/logged",
        exchange -> {
          exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
          exchange
              .getResponseSender()
              .send(
                  mapper.writeValueAsString(
                      Map.of(
                          "values", values,
                          "requests", requests.get(),
                          "responses", responses.get())));
        });
  }

  @Override
  public void process(String key, Object value) {
    values.add(Map.of(key, value));
  }
}
