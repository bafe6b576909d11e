package io.forkserve.metrics;

import java.util.Locale;

/**
 * How the gauge series of several processes merge, as in prometheus_client's
 * {@code multiprocess_mode}. The {@code LIVE*} modes merge like their plain twins; their files
 * are deleted when the process dies.
 */
public enum GaugeMode {
  ALL,
  LIVEALL,
  MIN,
  LIVEMIN,
  MAX,
  LIVEMAX,
  SUM,
  LIVESUM,
  MOSTRECENT,
  LIVEMOSTRECENT;

  /** The mode as written in file names ({@code livesum}). */
  public String fileToken() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** True for the modes whose files are removed when their process dies. */
  public boolean isLive() {
    return name().startsWith("LIVE");
  }

  /** The non-live mode that merges the same way ({@code LIVESUM} gives {@code SUM}). */
  public GaugeMode mergeRule() {
    return isLive() ? valueOf(name().substring(4)) : this;
  }

  /** The mode named by a file token such as {@code livesum}, or null if none is. */
  public static GaugeMode fromFileToken(String token) {
    for (GaugeMode mode : values()) {
      if (mode.fileToken().equals(token)) {
        return mode;
      }
    }
    return null;
  }
}
