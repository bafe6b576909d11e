package io.forkserve.runtime.front;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.worker.openai.ChatRequest;
import io.forkserve.worker.openai.EmbeddingRequest;
import io.forkserve.worker.openai.OpenAiError;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Terminal handler of an OpenAI-compatible route ({@link OpenAiRoute}): reads the JSON body,
 * checks it by the rules the worker applies too ({@link ChatRequest#parse}, {@link
 * EmbeddingRequest#parse}), and hands it to the chain of the API named by its {@code model}, with
 * the wire format its {@code stream} field asks for. A bad body, an unknown model or a body over
 * that API's limit is answered here, in OpenAI's error shape, before any worker sees it.
 */
final class OpenAiHandler implements HttpHandler {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /** One model of the route: its limits and queue, and the chain that queues its requests. */
  record Target(FrontHandlers.Api api, HttpHandler chain) {}

  private final OpenAiRoute route;
  private final Map<String, Target> models;
  private final long maxPayloadBytes;

  OpenAiHandler(OpenAiRoute route, Map<String, Target> models) {
    this.route = route;
    this.models = Map.copyOf(models);
    long max = 0;
    for (Target target : models.values()) {
      max = Math.max(max, target.api().maxPayloadBytes);
    }
    this.maxPayloadBytes = max;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    Dispatcher any = models.values().iterator().next().api().dispatcher;
    long start = any.clock().nanoTime();
    String media =
        ApiHandler.mediaType(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
    if (!media.equals("application/json") && !media.endsWith("+json")) {
      exchange.setPersistent(false); // the body is left unread
      send(
          exchange,
          new OpenAiError(
              415,
              "unsupported content type '" + media + "': send application/json",
              null,
              "unsupported_media_type"));
      return;
    }
    long timeout = 0;
    for (Target target : models.values()) {
      timeout = Math.max(timeout, target.api().dispatcher.deadlineFromNow() - start);
    }
    BodyReader.readFull(
        exchange, maxPayloadBytes, timeout, (ex, body) -> route(ex, body, start));
  }

  private void route(HttpServerExchange exchange, byte[] body, long start) {
    Target target;
    StreamEncoding encoding;
    try {
      JsonNode tree;
      try {
        tree = MAPPER.readTree(body);
      } catch (IOException e) {
        throw new OpenAiError(400, "invalid JSON in the request body", null, "invalid_json");
      }
      String model;
      boolean stream = false;
      if (route == OpenAiRoute.CHAT) {
        ChatRequest request = ChatRequest.parse(tree);
        model = request.model();
        stream = request.stream();
      } else {
        model = EmbeddingRequest.parse(tree).model();
      }
      target = models.get(model);
      if (target == null) {
        throw new OpenAiError(
            404,
            "the model '" + model + "' does not exist: GET /v1/models lists this server's",
            "model",
            "model_not_found");
      }
      if (body.length > target.api().maxPayloadBytes) {
        throw new OpenAiError(
            413,
            "request body over model " + model + "'s limit of " + target.api().maxPayloadBytes
                + " bytes",
            null,
            "request_too_large");
      }
      encoding = stream ? OpenAiEncoding.EVENTS : OpenAiEncoding.WHOLE;
    } catch (OpenAiError e) {
      send(exchange, e);
      return;
    }
    Dispatcher dispatcher = target.api().dispatcher;
    long deadline = dispatcher.deadlineFromNow() - (dispatcher.clock().nanoTime() - start);
    exchange.putAttachment(
        ApiHandler.ROUTED, new ApiHandler.Routed(ByteBuffer.wrap(body), encoding, deadline));
    try {
      target.chain().handleRequest(exchange);
    } catch (Exception e) {
      send(exchange, new OpenAiError(500, "routing failed: " + e, null, null));
    }
  }

  private static void send(HttpServerExchange exchange, OpenAiError e) {
    ExchangeResponder.send(exchange, e.status(), e.body(), false);
  }

  @Override
  public String toString() {
    return "OpenAiHandler[" + route.path() + ", models " + models.keySet() + "]";
  }
}
