package io.forkserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.metrics.Counter;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.StreamCancelledException;
import io.forkserve.worker.WorkerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Test API that streams {@code {"chunk": i}} for i below {@code "chunks"}, pausing {@code
 * "pause_ms"} between; with {@code "gate"} (a file path), chunks after the first wait until that
 * file exists (ten minutes at most). Counts chunks emitted ({@code test_stream_chunks_total}) and streams that
 * stopped on {@link StreamCancelledException} ({@code test_streams_stopped_total}). Streams are
 * SSE by default when the environment has {@code STREAMING_API_SSE=1}.
 */
public final class StreamingApi extends ServingApi<JsonNode, Integer> {
  private Counter chunks;
  private Counter stopped;

  @Override
  public void setup(WorkerContext context) {
    if (context.metrics() != null) {
      chunks =
          Counter.builder("test_stream_chunks_total")
              .help("Chunks emitted by the streaming test API.")
              .register(context.metrics());
      stopped =
          Counter.builder("test_streams_stopped_total")
              .help("Streams the test API stopped because the client went away.")
              .register(context.metrics());
    }
  }

  @Override
  public boolean isStreaming() {
    return true;
  }

  @Override
  public StreamFormat streamFormat() {
    return "1".equals(System.getenv("STREAMING_API_SSE")) ? StreamFormat.SSE : StreamFormat.NDJSON;
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
    int count = input.get("chunks").asInt();
    long pause = input.path("pause_ms").asLong(0);
    Path gate = input.has("gate") ? Path.of(input.get("gate").asText()) : null;
    try {
      for (int i = 0; i < count; i++) {
        if (i == 1 && gate != null) {
          waitFor(gate);
        }
        emit.accept(i);
        if (chunks != null) {
          chunks.inc();
        }
        if (pause > 0) {
          Thread.sleep(pause);
        }
      }
    } catch (StreamCancelledException e) {
      if (stopped != null) {
        stopped.inc();
      }
      throw e;
    }
  }

  private static void waitFor(Path file) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!Files.exists(file) && System.nanoTime() - deadline < 0) {
      Thread.sleep(5);
    }
  }

  @Override
  public Object encodeResponse(Integer output) {
    return Map.of("chunk", output);
  }
}
