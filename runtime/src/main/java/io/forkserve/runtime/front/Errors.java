package io.forkserve.runtime.front;

import io.forkserve.worker.channel.Outcome;
import io.undertow.server.HttpServerExchange;

/** JSON error responses sent by the front itself. */
final class Errors {
  private Errors() {}

  static void send(HttpServerExchange exchange, int status, String message) {
    ExchangeResponder.send(exchange, status, Outcome.errorBody(status, message), status == 503);
  }
}
