package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.nio.charset.StandardCharsets;

/** {@code GET /health}: 200 once every worker is ready and healthy, else 503. */
final class HealthHandler implements HttpHandler {
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private final ServerView server;

  HealthHandler(ServerView server) {
    this.server = server;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    boolean healthy = server.isHealthy();
    String body =
        "{\"status\":\""
            + (healthy ? "ok" : "unavailable")
            + "\",\"ready_workers\":"
            + server.readyWorkers()
            + ",\"workers\":"
            + server.workers()
            + cause()
            + "}";
    ExchangeResponder.send(
        exchange, healthy ? 200 : 503, body.getBytes(StandardCharsets.UTF_8), !healthy);
  }

  private String cause() {
    String cause = server.unhealthyCause();
    if (cause == null) {
      return "";
    }
    try {
      return ",\"cause\":" + MAPPER.writeValueAsString(cause);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      return "";
    }
  }

  @Override
  public String toString() {
    return "HealthHandler";
  }
}
