package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.worker.WorkerContext;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SpiralClassifierApiTest {
  @Test
  void trainedModelClassifiesHeldOutPointsWell() throws Exception {
    SpiralClassifierApi api = new SpiralClassifierApi();
    api.setup(new WorkerContext(0, 1, "cpu", Map.of(), null));
    Spiral heldOut = Spiral.generate(50, 99);
    List<double[]> outputs = api.predictBatch(List.of(heldOut.points));
    int right = 0;
    for (int i = 0; i < outputs.size(); i++) {
      double[] p = outputs.get(i);
      int best = p[0] >= p[1] && p[0] >= p[2] ? 0 : p[1] >= p[2] ? 1 : 2;
      right += best == heldOut.labels[i] ? 1 : 0;
    }
    double accuracy = (double) right / outputs.size();
    assertTrue(accuracy > 0.9, "held-out accuracy " + accuracy);
  }

  @Test
  void batchedAndSinglePredictAgree() throws Exception {
    SpiralClassifierApi api = new SpiralClassifierApi();
    api.setup(new WorkerContext(0, 1, "cpu", Map.of(), null));
    double[] point = api.decodeRequest(new ObjectMapper().readTree("{\"x\": 0.2, \"y\": -0.5}"));
    double[] single = api.predict(point);
    double[] batched = api.predictBatch(List.of(new double[] {0, 0}, point)).get(1);
    assertEquals(single.length, batched.length);
    for (int c = 0; c < single.length; c++) {
      assertEquals(single[c], batched[c], 1e-12);
    }
  }
}
