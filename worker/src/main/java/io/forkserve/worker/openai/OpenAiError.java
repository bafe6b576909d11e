package io.forkserve.worker.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forkserve.worker.HttpError;
import java.nio.charset.StandardCharsets;

/**
 * A client mistake on an OpenAI-compatible route: a status, a message and the request field it
 * concerns ({@code param}) and a machine-readable {@code code}, both optional. {@link #body} is the
 * one place the OpenAI error shape is written, for the front and the worker alike.
 */
public final class OpenAiError extends HttpError {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final String param;
  private final String code;

  /** An error with {@code status}, {@code message}, and {@code param}, {@code code} or null. */
  public OpenAiError(int status, String message, String param, String code) {
    super(status, message);
    this.param = param;
    this.code = code;
  }

  /** A 400 about request field {@code param}. */
  static OpenAiError invalid(String param, String message) {
    return new OpenAiError(400, message, param, null);
  }

  public String param() {
    return param;
  }

  public String code() {
    return code;
  }

  /** This error's body: see {@link #body(int, String, String, String)}. */
  public byte[] body() {
    return body(status(), getMessage(), param, code);
  }

  /**
   * {@code {"error": {"message", "type", "param", "code"}}} as UTF-8 bytes; the type follows the
   * status ({@code invalid_request_error} for 4xx, {@code authentication_error} for 401, {@code
   * rate_limit_error} for 429, {@code server_error} for 5xx).
   */
  public static byte[] body(int status, String message, String param, String code) {
    ObjectNode error = MAPPER.createObjectNode();
    error.put("message", message == null ? "" : message);
    error.put("type", type(status));
    error.put("param", param);
    error.put("code", code);
    ObjectNode body = MAPPER.createObjectNode();
    body.set("error", error);
    return body.toString().getBytes(StandardCharsets.UTF_8);
  }

  static String type(int status) {
    if (status == 401) {
      return "authentication_error";
    }
    if (status == 429) {
      return "rate_limit_error";
    }
    return status >= 500 ? "server_error" : "invalid_request_error";
  }
}
