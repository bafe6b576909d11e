package io.forkserve.runtime.front;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.util.function.Supplier;

/** One probe ({@code /health/live}, {@code /ready}, {@code /startup}): 200 or 503, JSON body. */
final class ProbeHandler implements HttpHandler {
  static final String LIVE = "/health/live";
  static final String READY = "/health/ready";
  static final String STARTUP = "/health/startup";

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private final String path;
  private final Supplier<ServerView.Probe> probe;

  ProbeHandler(String path, Supplier<ServerView.Probe> probe) {
    this.path = path;
    this.probe = probe;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws JsonProcessingException {
    ServerView.Probe answer = probe.get();
    byte[] body = MAPPER.writeValueAsBytes(answer.body());
    ExchangeResponder.send(exchange, answer.ok() ? 200 : 503, body, !answer.ok());
  }

  @Override
  public String toString() {
    return "ProbeHandler[" + path + "]";
  }
}
