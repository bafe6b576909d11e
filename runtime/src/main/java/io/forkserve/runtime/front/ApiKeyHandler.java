package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Answers 401 unless the request's {@code X-API-Key} equals the configured key. */
final class ApiKeyHandler implements HttpHandler {
  static final HttpString HEADER = HttpString.tryFromString("X-API-Key");

  private final byte[] key;
  private final HttpHandler next;

  ApiKeyHandler(String key, HttpHandler next) {
    this.key = key.getBytes(StandardCharsets.UTF_8);
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String given = exchange.getRequestHeaders().getFirst(HEADER);
    if (given == null) {
      Errors.send(exchange, 401, "missing X-API-Key header");
      return;
    }
    if (!MessageDigest.isEqual(key, given.getBytes(StandardCharsets.UTF_8))) {
      Errors.send(exchange, 401, "wrong API key");
      return;
    }
    next.handleRequest(exchange);
  }

  @Override
  public String toString() {
    return "ApiKeyHandler -> " + next;
  }
}
