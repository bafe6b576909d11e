package io.forkserve.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** prometheus_client's floatToGoString: Python repr, Go-style exponents from 1e+06 up. */
class FloatFormatTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', textBlock = """
      0.0                  | 0.0
      -0.0                 | -0.0
      1.0                  | 1.0
      -3.0                 | -3.0
      2.5                  | 2.5
      0.1                  | 0.1
      0.30000000000000004  | 0.30000000000000004
      1e-4                 | 0.0001
      1.5e-5               | 1.5e-05
      123456.0             | 123456.0
      999999.5             | 999999.5
      1e6                  | 1e+06
      1234567.0            | 1.234567e+06
      12345678.9           | 1.23456789e+07
      -1234567.0           | -1234567.0
      1e15                 | 1e+015
      1e16                 | 1e+16
      1.5e16               | 1.5e+16
      1e22                 | 1e+22
      1e23                 | 1e+23
      -2e-300              | -2e-300
      5e-324               | 5e-324
      1.7976931348623157e308 | 1.7976931348623157e+308
      NaN                  | NaN
      Infinity             | +Inf
      -Infinity            | -Inf
      """)
  void formatsAsPythonDoes(double value, String expected) {
    assertEquals(expected, FloatFormat.format(value));
  }

  /** Random doubles of every magnitude, formatted by Debian's prometheus_client itself. */
  @org.junit.jupiter.api.Test
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
