package io.forkserve.runtime.front;

import io.forkserve.worker.Callback;
import io.forkserve.worker.RequestInfo;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Runs the user's {@code onRequest} and {@code onResponse} callbacks around the API route. */
final class CallbackHandler implements HttpHandler {
  private static final System.Logger LOG = System.getLogger(CallbackHandler.class.getName());

  private final List<Callback> callbacks;
  private final HttpHandler next;

  CallbackHandler(List<Callback> callbacks, HttpHandler next) {
    this.callbacks = List.copyOf(callbacks);
    this.next = next;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) throws Exception {
    RequestInfo info = infoOf(exchange);
    for (Callback c : callbacks) {
      safely(() -> c.onRequest(info));
    }
    exchange.addExchangeCompleteListener(
        (ex, nextListener) -> {
          for (Callback c : callbacks) {
            safely(() -> c.onResponse(info, ex.getStatusCode()));
          }
          nextListener.proceed();
        });
    next.handleRequest(exchange);
  }

  static RequestInfo infoOf(HttpServerExchange exchange) {
    Map<String, String> headers = new HashMap<>();
    for (HeaderValues values : exchange.getRequestHeaders()) {
      headers.putIfAbsent(
          values.getHeaderName().toString().toLowerCase(Locale.ROOT), values.getFirst());
    }
    return new RequestInfo(
        exchange.getRequestMethod().toString(), exchange.getRequestPath(), headers);
  }

  private static void safely(Runnable hook) {
    try {
      hook.run();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "callback failed", e);
    }
  }

  @Override
  public String toString() {
    return "CallbackHandler" + callbacks + " -> " + next;
  }
}
