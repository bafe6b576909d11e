package io.forkserve.runtime.front;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.dispatch.Job;
import io.forkserve.worker.channel.Outcome;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.HeaderValues;
import io.undertow.util.SameThreadExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.xnio.XnioExecutor;

/**
 * Terminal handler of the API route: reads the body without blocking (and without parsing it),
 * queues a {@link Job}, and leaves the exchange open for the worker's answer. The {@code --timeout}
 * deadline starts when the headers have arrived: a body still not complete by then is answered
 * 408 and its connection closed, so a client trickling a body cannot hold a connection longer.
 */
final class ApiHandler implements HttpHandler {
  private static final byte[] NO_HEADERS = new byte[0];
  private static final byte[] QUEUE_FULL =
      Outcome.errorBody(503, "server busy: request queue is full, retry later");
  private static final byte[] SHUTTING_DOWN =
      Outcome.errorBody(503, "server is shutting down, retry on another instance");

  private final Dispatcher dispatcher;
  private final boolean sendHeaders;
  private final Executor streamPool;
  private final long maxPayloadBytes;

  ApiHandler(
      Dispatcher dispatcher, boolean sendHeaders, Executor streamPool, long maxPayloadBytes) {
    this.dispatcher = dispatcher;
    this.maxPayloadBytes = maxPayloadBytes;
    this.sendHeaders = sendHeaders;
    this.streamPool = streamPool;
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    long deadline = dispatcher.deadlineFromNow();
    long left = deadline - dispatcher.clock().nanoTime();
    AtomicBoolean bodyDone = new AtomicBoolean();
    XnioExecutor.Key timer =
        exchange
            .getIoThread()
            .executeAfter(() -> bodyTimedOut(exchange, bodyDone), left, TimeUnit.NANOSECONDS);
    Receiver receiver = exchange.getRequestReceiver();
    receiver.setMaxBufferSize((int) Math.min(Integer.MAX_VALUE, maxPayloadBytes));
    receiver.receiveFullBytes(
        (ex, body) -> {
          if (bodyDone.compareAndSet(false, true)) {
            timer.remove();
            received(ex, body, deadline);
          }
        },
        (ex, e) -> {
          if (bodyDone.compareAndSet(false, true)) {
            timer.remove();
            failed(ex, e);
          }
        });
  }

  private static void bodyTimedOut(HttpServerExchange exchange, AtomicBoolean bodyDone) {
    if (bodyDone.compareAndSet(false, true)) {
      exchange.setPersistent(false);
      Errors.send(exchange, 408, "request body not received within --timeout");
    }
  }

  private void received(HttpServerExchange exchange, byte[] body, long deadline) {
    Job job =
        new Job(
            dispatcher.nextId(),
            ByteBuffer.wrap(body),
            sendHeaders ? encodeHeaders(exchange) : NO_HEADERS,
            deadline,
            new ExchangeResponder(exchange, streamPool));
    TraceParent trace = exchange.getAttachment(TraceParent.KEY);
    if (trace != null) {
      job.trace(trace.frameBytes());
    }
    exchange.dispatch(SameThreadExecutor.INSTANCE, () -> submit(job));
  }

  private void submit(Job job) {
    if (!dispatcher.isAccepting()) {
      job.respond(503, SHUTTING_DOWN, true);
    } else if (!dispatcher.submit(job)) {
      job.respond(503, QUEUE_FULL, true);
    }
  }

  private void failed(HttpServerExchange exchange, IOException e) {
    exchange.setPersistent(false);
    if (e instanceof RequestTooBigException || e instanceof Receiver.RequestToLargeException) {
      Errors.send(exchange, 413, "request body over the limit of " + maxPayloadBytes + " bytes");
    } else {
      Errors.send(exchange, 400, "could not read the request body: " + e.getMessage());
    }
  }

  /** "method\0path\0name\0value\0..." with lower-case names, as the worker protocol says. */
  static byte[] encodeHeaders(HttpServerExchange exchange) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    write(out, exchange.getRequestMethod().toString());
    write(out, exchange.getRequestPath());
    for (HeaderValues values : exchange.getRequestHeaders()) {
      write(out, values.getHeaderName().toString().toLowerCase(Locale.ROOT));
      write(out, values.getFirst());
    }
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    out.write(0);
  }

  @Override
  public String toString() {
    return "ApiHandler[" + (sendHeaders ? "with headers" : "body only") + "]";
  }
}
