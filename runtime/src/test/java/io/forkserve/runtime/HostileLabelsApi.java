package io.forkserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.metrics.Counter;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.WorkerContext;
import java.util.Map;

/**
 * Test API that puts client-chosen text into metric labels: {@code {"label": S}} increments {@code
 * hostile_labels_total{value=S}}; {@code {"explode": N}} creates {@code N} new series of {@code
 * exploding_total{id}}, continuing from the last one created.
 */
public final class HostileLabelsApi extends ServingApi<JsonNode, Object> {
  private Counter hostile;
  private Counter exploding;
  private int next;

  @Override
  public void setup(WorkerContext context) {
    hostile =
        Counter.builder("hostile_labels_total")
            .help("Requests by a label value the client chose.")
            .labelNames("value")
            .register(context.metrics());
    exploding =
        Counter.builder("exploding_total")
            .help("One series per id, as a careless user metric would.")
            .labelNames("id")
            .register(context.metrics());
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    return request;
  }

  @Override
  public Object predict(JsonNode input) {
    if (input.has("label")) {
      hostile.labels(input.get("label").asText()).inc();
    }
    for (int i = 0; i < input.path("explode").asInt(); i++) {
      exploding.labels("id-" + next).inc();
      next++;
    }
    return Map.of("series", next);
  }

  @Override
  public Object encodeResponse(Object output) {
    return output;
  }
}
