package io.forkserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.worker.ServingApi;
import java.util.Map;
import java.util.function.Consumer;

/** Test API that streams {@code {"chunk": i}} for i below {@code "chunks"}, pausing between. */
public final class StreamingApi extends ServingApi<JsonNode, Integer> {
  @Override
  public boolean isStreaming() {
    return true;
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    return request;
  }

  @Override
  public Integer predict(JsonNode input) {
    return 0;
  }

  @Override
  public void predictStream(JsonNode input, Consumer<Integer> emit) throws Exception {
    int chunks = input.get("chunks").asInt();
    long pause = input.path("pause_ms").asLong(0);
    for (int i = 0; i < chunks; i++) {
      emit.accept(i);
      Thread.sleep(pause);
    }
  }

  @Override
  public Object encodeResponse(Integer output) {
    return Map.of("chunk", output);
  }
}
