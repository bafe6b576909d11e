package io.forkserve.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.micrometer.ClientJavaBridge;
import io.forkserve.micrometer.ForkserveMeterRegistry;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.WorkerContext;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The echo API instrumented with Micrometer: its meters, and Micrometer's JVM binders, reach the
 * merged {@code /metrics} of all workers through {@link ForkserveMeterRegistry}. It also keeps a
 * prometheus client_java histogram, which {@link ClientJavaBridge} copies into the same files every
 * second. Serve it with the jar that carries its dependencies: {@code bin/serve --api
 * io.forkserve.examples.MicrometerApi --jar examples/target/forkserve-examples-*-with-deps.jar
 * --workers 2}.
 */
public final class MicrometerApi extends ServingApi<JsonNode, JsonNode> {
  private MeterRegistry meters;
  private Timer latency;
  private DistributionSummary sizes;
  private final PrometheusRegistry clientJava = new PrometheusRegistry();
  private Histogram chars;
  private int workerIndex;

  @Override
  public void setup(WorkerContext context) {
    workerIndex = context.workerIndex();
    meters =
        context.metrics() == null
            ? new SimpleMeterRegistry()
            : ForkserveMeterRegistry.create(context.metrics());
    new JvmMemoryMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    latency = Timer.builder("echo.latency").description("Time to echo.").register(meters);
    sizes =
        DistributionSummary.builder("echo.input.size")
            .baseUnit("bytes")
            .serviceLevelObjectives(16, 256, 4096)
            .register(meters);
    chars =
        Histogram.builder()
            .name("echo_input_chars")
            .help("Characters of the echoed inputs (client_java).")
            .classicOnly()
            .classicUpperBounds(8, 64, 512)
            .register(clientJava);
    if (context.metrics() != null) {
      ClientJavaBridge.start(clientJava, context.metrics());
    }
    Gauge.builder("echo.worker.index", this, api -> api.workerIndex)
        .description("This worker's index.")
        .register(meters);
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    if (!request.has("input")) {
      throw new HttpError(400, "send {\"input\": ...}");
    }
    return request.get("input");
  }

  @Override
  public JsonNode predict(JsonNode input) {
    long start = System.nanoTime();
    // The tag value comes from a closed set (JSON node types), never from the input itself.
    Counter.builder("echo.requests")
        .description("Inputs echoed, by JSON type.")
        .tag("type", input.getNodeType().name().toLowerCase(Locale.ROOT))
        .register(meters)
        .increment();
    sizes.record(input.toString().length());
    chars.observe(input.toString().length());
    latency.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
    return input;
  }

  @Override
  public Object encodeResponse(JsonNode output) {
    return Map.of("output", output);
  }
}
