package io.forkserve.worker;

import java.util.Locale;
import java.util.Map;

/** The parts of an HTTP request that {@link ServingApi#authorize} may look at. Immutable. */
public final class RequestInfo {
  private final String method;
  private final String path;
  private final Map<String, String> headers;

  /** A request view; header names are matched case-insensitively. */
  public RequestInfo(String method, String path, Map<String, String> headers) {
    this.method = method;
    this.path = path;
    this.headers = Map.copyOf(headers);
  }

  /** The HTTP method, upper case. */
  public String method() {
    return method;
  }

  /** The request path. */
  public String path() {
    return path;
  }

  /** The first value of header {@code name} (any case), or null. */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** All headers, names in lower case, first value of each. */
  public Map<String, String> headers() {
    return headers;
  }
}
