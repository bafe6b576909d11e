package io.forkserve.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.ServingApi;
import java.util.Map;

/** The smallest API: {@code {"input": X}} answers {@code {"output": X}}. */
public final class EchoApi extends ServingApi<JsonNode, JsonNode> {
  @Override
  public JsonNode decodeRequest(JsonNode request) {
    if (!request.has("input")) {
      throw new HttpError(400, "send {\"input\": ...}");
    }
    return request.get("input");
  }

  @Override
  public JsonNode predict(JsonNode input) {
    return input;
  }

  @Override
  public Object encodeResponse(JsonNode output) {
    return Map.of("output", output);
  }
}
