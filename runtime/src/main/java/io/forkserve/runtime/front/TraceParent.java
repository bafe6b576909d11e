package io.forkserve.runtime.front;

import io.forkserve.metrics.ExemplarLabels;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HttpString;
import java.nio.charset.StandardCharsets;

/**
 * A W3C trace context {@code traceparent} header ({@code version-traceid-parentid-flags}), parsed
 * strictly: lower-case hex, exact lengths, version {@code ff} and all-zero ids refused, version
 * {@code 00} with nothing after the flags. An invalid header is ignored (no exemplar), never
 * echoed. Immutable.
 */
final class TraceParent {
  static final HttpString HEADER = HttpString.tryFromString("traceparent");

  /** The exchange's trace, attached by the outermost handler when the header is valid. */
  static final AttachmentKey<TraceParent> KEY = AttachmentKey.create(TraceParent.class);

  private static final int LENGTH = 55; // 2 + 1 + 32 + 1 + 16 + 1 + 2

  private final String traceId;
  private final String spanId;
  private final ExemplarLabels exemplar;

  private TraceParent(String traceId, String spanId) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.exemplar = ExemplarLabels.ofTrace(traceId, spanId);
  }

  /** The trace of a header value, or null when it is absent or invalid. */
  static TraceParent parse(String header) {
    if (header == null || header.length() < LENGTH) {
      return null;
    }
    String h = header.strip();
    if (h.length() < LENGTH || !hex(h, 0, 2) || h.charAt(2) != '-' || !hex(h, 3, 35)
        || h.charAt(35) != '-' || !hex(h, 36, 52) || h.charAt(52) != '-' || !hex(h, 53, 55)) {
      return null;
    }
    String version = h.substring(0, 2);
    if (version.equals("ff")
        || (version.equals("00") ? h.length() != LENGTH : h.length() > LENGTH
            && h.charAt(LENGTH) != '-')) {
      return null;
    }
    String traceId = h.substring(3, 35);
    String spanId = h.substring(36, 52);
    if (zeros(traceId) || zeros(spanId)) {
      return null;
    }
    return new TraceParent(traceId, spanId);
  }

  /** Parses the exchange's header and attaches the trace when valid; returns it or null. */
  static TraceParent attach(HttpServerExchange exchange) {
    TraceParent trace = parse(exchange.getRequestHeaders().getFirst(HEADER));
    if (trace != null) {
      exchange.putAttachment(KEY, trace);
    }
    return trace;
  }

  /** The trace and span ids for the request frame: 48 ASCII hex characters. */
  byte[] frameBytes() {
    return (traceId + spanId).getBytes(StandardCharsets.US_ASCII);
  }

  /** {@code trace_id} and {@code span_id} as exemplar labels. */
  ExemplarLabels exemplar() {
    return exemplar;
  }

  private static boolean hex(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return false;
      }
    }
    return true;
  }

  private static boolean zeros(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    return "TraceParent[" + traceId + " " + spanId + "]";
  }
}
