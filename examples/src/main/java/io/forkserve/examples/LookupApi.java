package io.forkserve.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.worker.ServingApi;
import java.util.Map;

/**
 * An I/O-bound API: each request waits {@code "delay_ms"} (default 200), standing in for a call to
 * a remote store, then answers the key. It declares {@code maxConcurrency() = 8}, so one worker
 * serves up to 8 requests at once on its own threads: predict holds no shared state.
 */
public final class LookupApi extends ServingApi<JsonNode, Map<String, Object>> {
  @Override
  public int maxConcurrency() {
    return 8;
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    return request;
  }

  @Override
  public Map<String, Object> predict(JsonNode input) throws InterruptedException {
    Thread.sleep(input.path("delay_ms").asLong(200));
    return Map.of("key", input.path("key").asText(""), "thread", Thread.currentThread().getName());
  }

  @Override
  public Object encodeResponse(Map<String, Object> output) {
    return output;
  }
}
