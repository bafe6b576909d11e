package io.forkserve.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** FloatFormat against prometheus_client's floatToGoString run by Debian's python3. */
class FloatFormatPythonIT {
  /** Random doubles of every magnitude, formatted by Debian's prometheus_client itself. */
  @Test
  void agreesWithPythonOnRandomDoubles() throws Exception {
    Random random = new Random(7);
    List<Double> values = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      double d = switch (i % 4) {
        case 0 -> Double.longBitsToDouble(random.nextLong());
        case 1 -> random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
        case 2 -> (random.nextDouble() + random.nextDouble()) * 1000;
        default -> random.nextInt(1 << 30) / 8.0;
      };
      values.add(d);
    }
    StringBuilder in = new StringBuilder();
    StringBuilder ours = new StringBuilder();
    for (double d : values) {
      in.append(Long.toHexString(Double.doubleToRawLongBits(d))).append('\n');
      ours.append(FloatFormat.format(d)).append('\n');
    }
    String python = Processes.run(in.toString().getBytes(StandardCharsets.US_ASCII),
        Tools.require("python3-prometheus-client").toString(), "-c", String.join("\n",
        "import sys, struct",
        "from prometheus_client.utils import floatToGoString",
        "for line in sys.stdin.read().split():",
        "  print(floatToGoString(struct.unpack('>d', bytes.fromhex(line.zfill(16)))[0]))"));
    assertEquals(python, ours.toString());
  }
}
