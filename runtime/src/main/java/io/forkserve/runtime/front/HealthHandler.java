package io.forkserve.runtime.front;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /health}: 200 once every worker of every API is ready and healthy, else 503; the body
 * has each API's state under {@code apis}. {@code GET /health?api=NAME}: the same for one API (404
 * for a name the server does not run).
 */
final class HealthHandler implements HttpHandler {
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
      new com.fasterxml.jackson.databind.ObjectMapper();
  private final ServerView server;

  HealthHandler(ServerView server) {
    this.server = server;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    java.util.Deque<String> api = exchange.getQueryParameters().get("api");
    if (api != null && !api.isEmpty()) {
      ServerView one = server.apis().get(api.getFirst());
      if (one == null) {
        Errors.send(exchange, 404, "no API named " + api.getFirst() + "; see /info");
        return;
      }
      send(exchange, one, "");
      return;
    }
    send(exchange, server, ",\"apis\":" + perApi());
  }

  private static void send(HttpServerExchange exchange, ServerView server, String more) {
    boolean healthy = server.isHealthy();
    String body =
        "{\"status\":\""
            + (healthy ? "ok" : "unavailable")
            + "\",\"ready_workers\":"
            + server.readyWorkers()
            + ",\"workers\":"
            + server.workers()
            + cause(server)
            + more
            + "}";
    ExchangeResponder.send(
        exchange, healthy ? 200 : 503, body.getBytes(StandardCharsets.UTF_8), !healthy);
  }

  private String perApi() {
    StringBuilder out = new StringBuilder("{");
    for (java.util.Map.Entry<String, ServerView> api : server.apis().entrySet()) {
      ServerView view = api.getValue();
      out.append(out.length() > 1 ? "," : "")
          .append(quote(api.getKey()))
          .append(":{\"status\":\"")
          .append(view.isHealthy() ? "ok" : "unavailable")
          .append("\",\"ready_workers\":")
          .append(view.readyWorkers())
          .append(",\"workers\":")
          .append(view.workers())
          .append(cause(view))
          .append('}');
    }
    return out.append('}').toString();
  }

  private static String quote(String text) {
    try {
      return MAPPER.writeValueAsString(text);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String cause(ServerView server) {
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
