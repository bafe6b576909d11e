package io.forkserve.worker;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A response other than plain JSON, returned from {@link ServingApi#encodeResponse}: bytes with a
 * content type (an image, audio, protobuf), or any value as JSON, with a chosen status and headers.
 * Any other value {@code encodeResponse} returns is written as JSON with status 200.
 */
public final class Response {
  private final int status;
  private final String contentType;
  private final byte[] bytes;
  private final Object json;
  private final Map<String, String> headers;

  private Response(
      int status, String contentType, byte[] bytes, Object json, Map<String, String> headers) {
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("status " + status + " is not an HTTP status");
    }
    this.status = status;
    this.contentType = contentType;
    this.bytes = bytes;
    this.json = json;
    this.headers = headers;
  }

  /** {@code bytes} (not copied) with {@code contentType}, status 200. */
  public static Response bytes(byte[] bytes, String contentType) {
    return new Response(200, contentType, bytes, null, Map.of());
  }

  /** {@code value} written as JSON, status 200. */
  public static Response json(Object value) {
    return new Response(200, "application/json", null, value, Map.of());
  }

  /** This response with {@code status}. */
  public Response status(int status) {
    return new Response(status, contentType, bytes, json, headers);
  }

  /** This response with header {@code name: value} added (Content-Type is set by the type). */
  public Response header(String name, String value) {
    if (name.indexOf('\0') >= 0 || value.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("header with a NUL byte");
    }
    Map<String, String> more = new LinkedHashMap<>(headers);
    more.put(name, value);
    return new Response(status, contentType, bytes, json, Map.copyOf(more));
  }

  public int status() {
    return status;
  }

  public String contentType() {
    return contentType;
  }

  /** The bytes, or null for a JSON response. */
  public byte[] bytes() {
    return bytes;
  }

  /** The JSON value, or null for a bytes response. */
  public Object jsonValue() {
    return json;
  }

  public Map<String, String> headers() {
    return headers;
  }
}
