package io.forkserve.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A request as the client sent it, for {@link ServingApi#decodeRequest(Request)}: the body bytes,
 * their content type, the query parameters, the parts of a {@code multipart/form-data} upload
 * (parsed by the front) and, when the API asks for them, the headers. Built by the worker; the
 * body array is the one the channel delivered, not a copy, and must not be modified.
 */
public final class Request {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final byte[] body;
  private final String contentType;
  private final String query;
  private final List<Part> parts;
  private final RequestInfo info;
  private JsonNode json;

  /** One part of a multipart upload: a file (with a file name) or a plain field. */
  public record Part(String name, String fileName, String contentType, byte[] bytes) {
    /** True for a file part (it had a file name, possibly empty). */
    public boolean isFile() {
      return fileName != null;
    }

    /** The part's bytes as UTF-8 text (a field's value). */
    public String text() {
      return new String(bytes, StandardCharsets.UTF_8);
    }
  }

  /**
   * A request of {@code body} (not copied); {@code contentType} and {@code query} (the raw query
   * string) may be empty, {@code parts} is empty unless the body was multipart, {@code info} is
   * null unless the API asked for headers.
   */
  public Request(
      byte[] body, String contentType, String query, List<Part> parts, RequestInfo info) {
    this.body = body;
    this.contentType = contentType == null ? "" : contentType;
    this.query = query == null ? "" : query;
    this.parts = List.copyOf(parts);
    this.info = info;
  }

  /** The body bytes exactly as sent (empty for a multipart upload: see {@link #parts}). */
  public byte[] bytes() {
    return body;
  }

  /** The Content-Type header as sent, or "" when there was none. */
  public String contentType() {
    return contentType;
  }

  /** The media type of {@link #contentType}, lower case, without parameters. */
  public String mediaType() {
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  /** The body parsed as JSON; {@link HttpError} 400 when it is not JSON. Parsed once. */
  public JsonNode json() throws HttpError {
    if (json == null) {
      try {
        json = MAPPER.readTree(body);
      } catch (JsonProcessingException e) {
        throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
      } catch (java.io.IOException e) {
        throw new HttpError(400, "malformed JSON: " + e.getMessage());
      }
      if (json == null || json.isMissingNode()) {
        throw new HttpError(400, "malformed JSON: empty body");
      }
    }
    return json;
  }

  /** The raw query string (without '?'), or "". */
  public String queryString() {
    return query;
  }

  /** Query parameters, decoded, in order; a name may have several values. */
  public Map<String, List<String>> query() {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (query.isEmpty()) {
      return params;
    }
    for (String pair : query.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return params;
  }

  /** The first value of query parameter {@code name}, or null. */
  public String query(String name) {
    List<String> values = query().get(name);
    return values == null ? null : values.get(0);
  }

  /** The parts of a multipart upload, in order; empty for other bodies. */
  public List<Part> parts() {
    return parts;
  }

  /** The first part named {@code name}, or null. */
  public Part part(String name) {
    for (Part part : parts) {
      if (part.name().equals(name)) {
        return part;
      }
    }
    return null;
  }

  /**
   * Headers (names in lower case, first value each) when the API asked for them ({@link
   * ServingApi#wantsHeaders}, or it overrides authorize); empty otherwise.
   */
  public Map<String, String> headers() {
    return info == null ? Collections.emptyMap() : info.headers();
  }

  /** The first value of header {@code name} (any case), or null. */
  public String header(String name) {
    return info == null ? null : info.header(name);
  }

  /** Method, path and headers when the API asked for headers, else null. */
  public RequestInfo info() {
    return info;
  }

  private static String decode(String text) {
    try {
      return URLDecoder.decode(text, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return text;
    }
  }
}
