package io.forkserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forkserve.metrics.Counter;
import io.forkserve.worker.Callback;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.RequestInfo;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.WorkerContext;
import io.undertow.server.HandlerWrapper;
import io.undertow.util.HttpString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Test API driven by the request: {@code {"input": X}} echoes with the batch size and worker;
 * {@code "sleep_ms"} sleeps in predict; {@code "wait_for_file"} holds predict until that file
 * exists (ten minutes at most); setup waits for the file named by env SCRIPTED_SETUP_WAIT_FOR_FILE
 * (the same bound); setup fails with env SCRIPTED_SETUP_FAIL, or while the file named
 * by SCRIPTED_SETUP_FAIL_IF_EXISTS exists; {@code "fail"} throws; {@code "http_status"} throws an
 * HttpError; {@code "unhealthy_ms"} makes health() false for that long; {@code "log"} is sent to
 * the loggers; header {@code X-Deny} is refused by authorize. In the front it adds two middlewares
 * and a logger mounted at {@code /logged}.
 */
public final class ScriptedApi extends ServingApi<JsonNode, JsonNode> implements FrontExtension {
  private int worker;
  private String device;
  private Counter predictions;
  private volatile long unhealthyUntil;
  private final RecordingLogger logger = new RecordingLogger();

  @Override
  public void setup(WorkerContext context) throws Exception {
    worker = context.workerIndex();
    device = context.device() + "/" + System.getenv("CUDA_VISIBLE_DEVICES");
    predictions =
        Counter.builder("scripted_predictions_total")
            .help("Outputs produced by the scripted test API.")
            .register(context.metrics());
    long sleep = Long.parseLong(System.getenv().getOrDefault("SCRIPTED_SETUP_MS", "0"));
    Thread.sleep(sleep);
    String gate = System.getenv("SCRIPTED_SETUP_WAIT_FOR_FILE");
    if (gate != null) {
      waitFor(java.nio.file.Path.of(gate));
    }
    if (System.getenv("SCRIPTED_CHILD_PROCESS") != null) {
      // in the worker, not the test JVM: a child the server must kill with its worker
      new ProcessBuilder("sleep", System.getenv("SCRIPTED_CHILD_PROCESS")).start();
    }
    String failIf = System.getenv("SCRIPTED_SETUP_FAIL_IF_EXISTS");
    if (System.getenv("SCRIPTED_SETUP_FAIL") != null
        || (failIf != null && java.nio.file.Files.exists(java.nio.file.Path.of(failIf)))) {
      throw new IllegalStateException("model file missing");
    }
  }

  @Override
  public void authorize(RequestInfo request) {
    if (request.header("x-deny") != null) {
      throw new HttpError(403, "denied by authorize");
    }
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    if (request.has("unhealthy_ms")) {
      unhealthyUntil = System.currentTimeMillis() + request.get("unhealthy_ms").asLong();
    }
    if (request.has("log")) {
      log("seen", request.get("log"));
    }
    if (request.has("http_status")) {
      throw new HttpError(request.get("http_status").asInt(), "teapot says no");
    }
    return request;
  }

  @Override
  public JsonNode predict(JsonNode input) throws Exception {
    return predictBatch(List.of(input)).get(0);
  }

  @Override
  public List<JsonNode> predictBatch(List<JsonNode> inputs) throws Exception {
    List<JsonNode> outputs = new ArrayList<>();
    for (JsonNode input : inputs) {
      if (input.has("assert")) {
        throw new AssertionError(input.get("assert").asText());
      }
      if (input.has("fail")) {
        throw new IllegalStateException(input.get("fail").asText());
      }
      if (input.has("sleep_ms")) {
        Thread.sleep(input.get("sleep_ms").asLong());
      }
      if (input.has("wait_for_file")) {
        waitFor(java.nio.file.Path.of(input.get("wait_for_file").asText()));
      }
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      out.set("output", input.get("input"));
      out.put("batch", inputs.size());
      out.put("worker", worker);
      out.put("device", device);
      outputs.add(out);
      predictions.inc();
    }
    return outputs;
  }

  private static void waitFor(java.nio.file.Path file) throws InterruptedException {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
    while (!java.nio.file.Files.exists(file) && System.nanoTime() - deadline < 0) {
      Thread.sleep(5);
    }
  }

  @Override
  public Object encodeResponse(JsonNode output) {
    return output;
  }

  @Override
  public boolean health() {
    return System.currentTimeMillis() >= unhealthyUntil;
  }

  @Override
  public List<HandlerWrapper> middlewares() {
    return List.of(header("outer"), header("inner"));
  }

  private static HandlerWrapper header(String name) {
    return next ->
        exchange -> {
          exchange.getResponseHeaders().add(HttpString.tryFromString("X-Middleware"), name);
          next.handleRequest(exchange);
        };
  }

  @Override
  public List<ValueLogger> loggers() {
    return List.of(logger);
  }

  @Override
  public List<Callback> callbacks() {
    return List.of(logger.counter);
  }

  @Override
  public Map<String, Object> metadata() {
    return Map.of("name", "scripted", "version", "1");
  }
}
