package io.forkserve.metrics.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Float formatting as prometheus_client does it: {@link #pythonRepr} is Python's {@code repr} of a
 * float (the shortest string that reads back as the same double) and {@link #goString} is
 * prometheus_client's {@code floatToGoString}, used for the {@code le} label of histogram buckets.
 * Pure functions, safe from any thread.
 */
public final class GoFloat {
  /** Python switches {@code repr} to exponent notation outside 1e-4 <= |d| < 1e16. */
  private static final int MIN_FIXED_DECPT = -3;

  private static final int MAX_FIXED_DECPT = 16;

  /** Go switches to exponent notation for positive values with more than six integer digits. */
  private static final int GO_MAX_INTEGER_DIGITS = 6;

  private GoFloat() {}

  /**
   * Python's {@code floatToGoString}: {@code +Inf}, {@code -Inf}, {@code NaN}, else {@code repr}
   * with an exponent for positive values of 1e6 and more ({@code 1e+06}). The exponent has at least
   * two digits, as in Go and prometheus_client 0.25 ({@code 1e+10}; releases before it wrote {@code
   * 1e+010} for 1e10 and above).
   */
  public static String goString(double d) {
    if (d == Double.POSITIVE_INFINITY) {
      return "+Inf";
    }
    if (d == Double.NEGATIVE_INFINITY) {
      return "-Inf";
    }
    if (Double.isNaN(d)) {
      return "NaN";
    }
    String s = pythonRepr(d);
    int dot = s.indexOf('.');
    if (d > 0 && dot > GO_MAX_INTEGER_DIGITS) {
      String mantissa =
          stripTrailing(s.charAt(0) + "." + s.substring(1, dot) + s.substring(dot + 1));
      return mantissa + "e+" + twoDigits(dot - 1);
    }
    return s;
  }

  /** Python's {@code repr(float)}: shortest round-trip digits, Python's notation rules. */
  public static String pythonRepr(double d) {
    if (Double.isNaN(d)) {
      return "nan";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "inf" : "-inf";
    }
    if (d == 0) {
      return Double.doubleToRawLongBits(d) < 0 ? "-0.0" : "0.0";
    }
    BigDecimal shortest = shortestRoundTrip(Math.abs(d)).stripTrailingZeros();
    String digits = shortest.unscaledValue().toString();
    int decpt = digits.length() - shortest.scale();
    String body =
        decpt < MIN_FIXED_DECPT || decpt > MAX_FIXED_DECPT
            ? exponentNotation(digits, decpt)
            : fixedNotation(digits, decpt);
    return d < 0 ? "-" + body : body;
  }

  /** The closest decimal with the fewest significant digits that reads back as {@code d > 0}. */
  private static BigDecimal shortestRoundTrip(double d) {
    BigDecimal exact = new BigDecimal(d);
    for (int precision = 1; precision < 17; precision++) {
      BigDecimal down = exact.round(new MathContext(precision, RoundingMode.FLOOR));
      BigDecimal up = exact.round(new MathContext(precision, RoundingMode.CEILING));
      boolean downOk = down.doubleValue() == d;
      boolean upOk = up.doubleValue() == d;
      if (downOk && upOk) {
        return closer(exact, down, up, precision);
      }
      if (downOk) {
        return down;
      }
      if (upOk) {
        return up;
      }
    }
    return exact.round(new MathContext(17, RoundingMode.HALF_EVEN));
  }

  private static BigDecimal closer(
      BigDecimal exact, BigDecimal down, BigDecimal up, int precision) {
    int cmp = exact.subtract(down).compareTo(up.subtract(exact));
    if (cmp != 0) {
      return cmp < 0 ? down : up;
    }
    return exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
  }

  private static String exponentNotation(String digits, int decpt) {
    StringBuilder out = new StringBuilder().append(digits.charAt(0));
    if (digits.length() > 1) {
      out.append('.').append(digits, 1, digits.length());
    }
    int exponent = decpt - 1;
    return out.append(exponent < 0 ? "e-" : "e+").append(twoDigits(Math.abs(exponent))).toString();
  }

  private static String fixedNotation(String digits, int decpt) {
    if (decpt <= 0) {
      return "0." + "0".repeat(-decpt) + digits;
    }
    if (decpt >= digits.length()) {
      return digits + "0".repeat(decpt - digits.length()) + ".0";
    }
    return digits.substring(0, decpt) + "." + digits.substring(decpt);
  }

  /** Python's {@code str.rstrip('0.')}. */
  private static String stripTrailing(String s) {
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == '0' || s.charAt(end - 1) == '.')) {
      end--;
    }
    return s.substring(0, end);
  }

  private static String twoDigits(int n) {
    return n < 10 ? "0" + n : Integer.toString(n);
  }
}
