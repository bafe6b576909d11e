package io.forkserve.runtime.front;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code GET /v1/models}: the configured models, as OpenAI's {@code list} of {@code model}s. */
final class ModelsHandler implements HttpHandler {
  private final byte[] body;

  /** Lists {@code names}, each created at {@code createdEpochSeconds}. */
  ModelsHandler(List<String> names, long createdEpochSeconds) {
    JsonNodeFactory json = JsonNodeFactory.instance;
    ObjectNode list = json.objectNode().put("object", "list");
    for (String name : names) {
      list.withArray("data")
          .addObject()
          .put("id", name)
          .put("object", "model")
          .put("created", createdEpochSeconds)
          .put("owned_by", "forkserve");
    }
    this.body = list.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    ExchangeResponder.send(exchange, 200, body, false);
  }

  @Override
  public String toString() {
    return "ModelsHandler";
  }
}
