package io.forkserve.runtime.front;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.worker.openai.OpenAiError;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import java.io.IOException;

/**
 * Error bodies in OpenAI's shape on the {@code /v1/} paths. {@link Shape} marks such an exchange
 * first thing; every error answered on it afterwards, by the front ({@link Errors}) or from a
 * worker ({@link ExchangeResponder}), goes through {@link #reshape}, so each error is written
 * in forkserve's shape once and turned into OpenAI's in this one place.
 */
final class OpenAiErrors {
  /** Present on exchanges whose errors are OpenAI-shaped. */
  static final AttachmentKey<Boolean> KEY = AttachmentKey.create(Boolean.class);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private OpenAiErrors() {}

  /** True when {@code exchange}'s errors are OpenAI-shaped. */
  static boolean wanted(HttpServerExchange exchange) {
    return exchange.getAttachment(KEY) != null;
  }

  /**
   * {@code body} in OpenAI's shape: a forkserve error ({@code {"error": "message", "status": n}})
   * becomes {@code {"error": {"message", "type", "param", "code"}}}; anything else (an OpenAI error
   * already) is returned as it is.
   */
  static byte[] reshape(int status, byte[] body) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(body);
    } catch (IOException e) {
      return OpenAiError.body(status, "error " + status, null, null);
    }
    if (tree == null || !tree.path("error").isTextual()) {
      return body;
    }
    return OpenAiError.body(status, tree.get("error").asText(), null, code(status));
  }

  private static String code(int status) {
    return switch (status) {
      case 401 -> "invalid_api_key";
      case 404 -> "not_found";
      case 408 -> "request_timeout";
      case 413 -> "request_too_large";
      case 415 -> "unsupported_media_type";
      case 503 -> "overloaded";
      case 504 -> "timeout";
      default -> null;
    };
  }

  /** Marks requests to a {@code /v1/} path, then calls {@code next}. */
  static final class Shape implements HttpHandler {
    private final HttpHandler next;

    Shape(HttpHandler next) {
      this.next = next;
    }

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
      if (exchange.getRequestPath().startsWith(OpenAiRoute.PREFIX)) {
        exchange.putAttachment(KEY, Boolean.TRUE);
      }
      next.handleRequest(exchange);
    }

    @Override
    public String toString() {
      return "OpenAiErrors.Shape -> " + next;
    }
  }
}
