package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Answers 401 unless the request's {@code X-API-Key} equals the configured key; on the OpenAI
 * routes {@code Authorization: Bearer KEY} (what OpenAI's clients send) is taken as well.
 */
final class ApiKeyHandler implements HttpHandler {
  static final HttpString HEADER = HttpString.tryFromString("X-API-Key");

  private static final String BEARER = "Bearer ";

  private final byte[] key;
  private final boolean bearer;
  private final HttpHandler next;

  ApiKeyHandler(String key, HttpHandler next) {
    this(key, false, next);
  }

  ApiKeyHandler(String key, boolean bearer, HttpHandler next) {
    this.key = key.getBytes(StandardCharsets.UTF_8);
    this.bearer = bearer;
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    String given = exchange.getRequestHeaders().getFirst(HEADER);
    if (given == null && bearer) {
      String authorization = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
      if (authorization != null && authorization.startsWith(BEARER)) {
        given = authorization.substring(BEARER.length());
      }
    }
    if (given == null) {
      Errors.send(
          exchange,
          401,
          bearer ? "missing X-API-Key or Authorization: Bearer header" : "missing X-API-Key header");
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
