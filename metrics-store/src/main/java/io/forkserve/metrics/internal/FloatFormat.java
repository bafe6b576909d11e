package io.forkserve.metrics.internal;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Formats doubles as prometheus_client's {@code floatToGoString} does: Python's shortest
 * round-trip {@code repr}, with Go-style exponents for positive numbers of seven or more integer
 * digits ({@code 1e+06}, {@code 1.5e+07}). Static, stateless, thread-safe. Not API.
 */
public final class FloatFormat {
  private static final double FAST_INTEGER_LIMIT = 1e15;

  private FloatFormat() {}

  /** The text {@code floatToGoString(d)} gives. */
  public static String format(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    }
    if (d == 0) {
      return Double.doubleToRawLongBits(d) == 0 ? "0.0" : "-0.0";
    }
    boolean negative = d < 0;
    double abs = Math.abs(d);
    if (abs < 1e6 && abs == Math.rint(abs)) {
      return (negative ? "-" : "") + (long) abs + ".0";
    }
    String digits;
    int exp;
    if (abs < FAST_INTEGER_LIMIT && abs == Math.rint(abs)) {
      String s = Long.toString((long) abs);
      exp = s.length() - 1;
      digits = stripTrailingZeros(s);
    } else {
      String s = Double.toString(abs);
      int e = s.indexOf('E');
      String mantissa = e < 0 ? s : s.substring(0, e);
      int dot = mantissa.indexOf('.');
      String all = mantissa.substring(0, dot) + mantissa.substring(dot + 1);
      int lead = 0;
      while (all.charAt(lead) == '0') {
        lead++;
      }
      exp = (e < 0 ? 0 : Integer.parseInt(s.substring(e + 1))) + dot - 1 - lead;
      digits = stripTrailingZeros(all.substring(lead));
      if (digits.length() == 16 && abs >= Double.MIN_NORMAL) {
        String r = roundTo15(digits);
        int rexp = exp + (r.length() > 15 ? 1 : 0);
        if (Double.parseDouble("0." + r + "E" + (rexp + 1)) == abs) {
          digits = stripTrailingZeros(r);
          exp = rexp;
        }
      } else if (digits.length() >= 17 || abs < Double.MIN_NORMAL) {
        String[] shorter = shortest(abs, digits.length());
        if (shorter != null) {
          digits = shorter[0];
          exp = Integer.parseInt(shorter[1]);
        }
      }
    }
    return python(negative, digits, exp);
  }

  /**
   * The text {@code floatToGoString(d)} gives in prometheus_client 0.18 and later (and Go): as
   * {@link #format}, but an exponent of two digits is not padded ({@code 1e+10}, where 0.16 wrote
   * {@code 1e+010}). Used for the {@code le} label the writer puts in keys.
   */
  public static String goString(double d) {
    String s = format(d);
    int e = s.indexOf("e+0");
    return e > 0 && s.length() - (e + 3) >= 2 ? s.substring(0, e + 2) + s.substring(e + 3) : s;
  }

  /**
   * Java 17's Double.toString is sometimes one digit or two too long; Python's repr is not. The
   * shortest decimal that reads back as {@code abs}: at each precision the values rounded down
   * and up are tried, and where both read back, the one nearer {@code abs} (half-even on a tie).
   */
  private static String[] shortest(double abs, int length) {
    BigDecimal exact = new BigDecimal(abs);
    for (int p = abs < Double.MIN_NORMAL ? 1 : 15; p < length; p++) {
      BigDecimal down = exact.round(new MathContext(p, RoundingMode.FLOOR));
      BigDecimal up = exact.round(new MathContext(p, RoundingMode.CEILING));
      boolean downOk = down.doubleValue() == abs;
      boolean upOk = up.doubleValue() == abs;
      if (downOk || upOk) {
        BigDecimal r = !upOk ? down : !downOk ? up : nearer(exact, down, up, p);
        String unscaled = stripTrailingZeros(r.unscaledValue().toString());
        int exp = r.precision() - r.scale() - 1;
        return new String[] {unscaled, Integer.toString(exp)};
      }
    }
    return null;
  }

  private static BigDecimal nearer(BigDecimal exact, BigDecimal down, BigDecimal up, int p) {
    int cmp = exact.subtract(down).compareTo(up.subtract(exact));
    if (cmp != 0) {
      return cmp < 0 ? down : up;
    }
    return exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
  }

  /**
   * The 16 significant digits rounded half-up to 15 (one more digit, "1000...", on carry out).
   * One 15-digit decimal at most lies in a double's rounding interval, so if the result
   * round-trips it is the shortest repr.
   */
  private static String roundTo15(String digits) {
    char[] c = digits.substring(0, 15).toCharArray();
    if (digits.charAt(15) >= '5') {
      int i = 14;
      while (i >= 0 && c[i] == '9') {
        c[i--] = '0';
      }
      if (i < 0) {
        return "1" + new String(c);
      }
      c[i]++;
    }
    return new String(c);
  }

  private static String python(boolean negative, String digits, int exp) {
    StringBuilder sb = new StringBuilder(24);
    if (negative) {
      sb.append('-');
    }
    if (exp < -4 || exp >= 16) {
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append(exp < 0 ? "e-" : "e+");
      int a = Math.abs(exp);
      if (a < 10) {
        sb.append('0');
      }
      return sb.append(a).toString();
    }
    if (!negative && exp >= 6) {
      // floatToGoString: "1234567.5" becomes "1.2345675e+06" (and 1e15 "1e+015", as Python does).
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      return sb.append("e+0").append(exp).toString();
    }
    if (exp < 0) {
      sb.append("0.");
      for (int i = -1; i > exp; i--) {
        sb.append('0');
      }
      return sb.append(digits).toString();
    }
    for (int i = 0; i <= exp; i++) {
      sb.append(i < digits.length() ? digits.charAt(i) : '0');
    }
    sb.append('.');
    if (digits.length() > exp + 1) {
      sb.append(digits, exp + 1, digits.length());
    } else {
      sb.append('0');
    }
    return sb.toString();
  }

  private static String stripTrailingZeros(String s) {
    int end = s.length();
    while (end > 1 && s.charAt(end - 1) == '0') {
      end--;
    }
    return s.substring(0, end);
  }
}
