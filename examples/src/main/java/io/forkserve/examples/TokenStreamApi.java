package io.forkserve.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.ServingApi;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A streaming "generator": {@code {"prompt": "a b c"}} streams each word back as one token
 * ({@code {"token": "a", "index": 0}}), {@code "repeat"} times (default 1), pausing {@code
 * "pause_ms"} between tokens. NDJSON by default; a client sending {@code Accept:
 * text/event-stream} gets server-sent events. The SSE-vs-NDJSON benchmark's server.
 */
public final class TokenStreamApi extends ServingApi<JsonNode, Map<String, Object>> {
  @Override
  public boolean isStreaming() {
    return true;
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    if (!request.path("prompt").isTextual()) {
      throw new HttpError(400, "send {\"prompt\": \"some words\"}");
    }
    return request;
  }

  @Override
  public Map<String, Object> predict(JsonNode input) {
    return Map.of("token", input.get("prompt").asText(), "index", 0);
  }

  @Override
  public void predictStream(JsonNode input, Consumer<Map<String, Object>> emit)
      throws InterruptedException {
    String[] words = input.get("prompt").asText().trim().split("\\s+");
    int repeat = Math.max(1, input.path("repeat").asInt(1));
    long pause = input.path("pause_ms").asLong(0);
    int index = 0;
    for (int r = 0; r < repeat; r++) {
      for (String word : words) {
        emit.accept(Map.of("token", word, "index", index++));
        if (pause > 0) {
          Thread.sleep(pause);
        }
      }
    }
  }

  @Override
  public Object encodeResponse(Map<String, Object> token) {
    return token;
  }
}
