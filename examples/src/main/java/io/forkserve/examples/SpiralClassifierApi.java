package io.forkserve.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.WorkerContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small real model that needs no download: a two-layer neural network that tells which arm of a
 * three-arm spiral a point {@code {"x": 0.1, "y": -0.4}} lies on. {@code setup} generates the
 * training set and trains the network (the costly state, about a second of CPU); {@link
 * #predictBatch} runs one forward pass over the whole batch.
 */
public final class SpiralClassifierApi extends ServingApi<double[], double[]> {
  static final int CLASSES = 3;
  private Mlp model;
  private int epochs = 300;

  @Override
  public void setup(WorkerContext context) {
    epochs = Integer.parseInt(System.getenv().getOrDefault("SPIRAL_EPOCHS", "300"));
    Spiral data = Spiral.generate(200, 42);
    model = Mlp.train(data, 64, epochs, 7);
    log("train_accuracy", model.accuracy(data));
  }

  @Override
  public double[] decodeRequest(JsonNode request) {
    JsonNode x = request.get("x");
    JsonNode y = request.get("y");
    if (x == null || y == null || !x.isNumber() || !y.isNumber()) {
      throw new HttpError(400, "send {\"x\": number, \"y\": number}");
    }
    return new double[] {x.asDouble(), y.asDouble()};
  }

  @Override
  public double[] predict(double[] point) {
    return predictBatch(List.of(point)).get(0);
  }

  @Override
  public List<double[]> predictBatch(List<double[]> points) {
    double[][] batch = points.toArray(new double[0][]);
    return List.of(model.probabilities(batch));
  }

  @Override
  public Object encodeResponse(double[] probabilities) {
    int best = 0;
    for (int c = 1; c < probabilities.length; c++) {
      if (probabilities[c] > probabilities[best]) {
        best = c;
      }
    }
    Map<String, Object> response = new LinkedHashMap<>();
    response.put("arm", best);
    List<Double> probs = new ArrayList<>();
    for (double p : probabilities) {
      probs.add(Math.round(p * 1e4) / 1e4);
    }
    response.put("probabilities", probs);
    return response;
  }

  @Override
  public Map<String, Object> metadata() {
    return Map.of("model", "spiral-mlp", "classes", CLASSES, "inputs", List.of("x", "y"));
  }
}
