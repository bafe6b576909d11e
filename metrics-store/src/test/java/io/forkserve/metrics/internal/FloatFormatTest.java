package io.forkserve.metrics.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
}
