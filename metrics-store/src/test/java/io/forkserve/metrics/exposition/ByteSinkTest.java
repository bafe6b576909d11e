package io.forkserve.metrics.exposition;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.internal.FloatFormat;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteSinkTest {

  @Test
  void value_writesLargeIntegersAsFloatFormatDoes() {
    assertEquals("1.048576e+06", written(1_048_576));
    assertEquals("1e+06", written(1e6));
    assertEquals("1.000001e+06", written(1_000_001));
    assertEquals("1e+014", written(1e14)); // prometheus_client pads the exponent to 0NN
    assertEquals("9.99999999999999e+014", written(999_999_999_999_999.0));
    Random random = new Random(11);
    for (int i = 0; i < 100_000; i++) {
      double v = Math.rint(Math.pow(10, 5 + random.nextDouble() * 11));
      v = random.nextInt(4) == 0 ? Math.rint(v / 1000) * 1000 : v; // trailing zeros
      assertEquals(FloatFormat.format(v), written(v), "value " + (long) v);
    }
  }

  private static String written(double v) {
    ByteSink sink = new ByteSink(4);
    sink.value(v);
    return new String(sink.toByteArray(), StandardCharsets.UTF_8);
  }
}
