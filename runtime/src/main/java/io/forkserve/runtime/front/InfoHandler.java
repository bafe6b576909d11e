package io.forkserve.runtime.front;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;

/** {@code GET /info}: model metadata, workers and settings as JSON. */
final class InfoHandler implements HttpHandler {
  private final ServerView server;
  private final ObjectMapper mapper = new ObjectMapper();

  InfoHandler(ServerView server) {
    this.server = server;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    ExchangeResponder.send(exchange, 200, mapper.writeValueAsBytes(server.info()), false);
  }

  @Override
  public String toString() {
    return "InfoHandler";
  }
}
