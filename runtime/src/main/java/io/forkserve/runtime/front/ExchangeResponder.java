package io.forkserve.runtime.front;

import io.forkserve.runtime.dispatch.Responder;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Answers one HTTP exchange from the thread that completes its job. Whole responses go out through
 * Undertow's async sender; a stream is written by a blocking writer thread from the stream pool,
 * which flushes every chunk.
 */
final class ExchangeResponder implements Responder {
  static final String JSON = "application/json";
  static final String NDJSON = "application/x-ndjson";
  private static final byte[] END = new byte[0];

  private final HttpServerExchange exchange;
  private final Executor streamPool;
  private BlockingQueue<byte[]> chunks;

  ExchangeResponder(HttpServerExchange exchange, Executor streamPool) {
    this.exchange = exchange;
    this.streamPool = streamPool;
  }

  /**
   * Sends on the exchange's IO thread: a burst of answers from one channel read then costs one
   * selector wake-up per IO thread, not one per response, and Undertow goes on to read the
   * connection's next request without another thread hop.
   */
  @Override
  public void respond(int status, byte[] body, boolean retryAfter) {
    if (exchange.isInIoThread()) {
      send(exchange, status, body, retryAfter);
    } else {
      exchange.getIoThread().execute(() -> send(exchange, status, body, retryAfter));
    }
  }

  /** Sends a whole JSON response. */
  static void send(HttpServerExchange exchange, int status, byte[] body, boolean retryAfter) {
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
    if (retryAfter) {
      exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
    }
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  @Override
  public void chunk(byte[] body) {
    if (chunks == null) {
      chunks = new LinkedBlockingQueue<>();
      BlockingQueue<byte[]> queue = chunks;
      streamPool.execute(() -> writeStream(queue));
    }
    chunks.add(body);
  }

  @Override
  public void end(int status, byte[] errorBody) {
    if (errorBody != null) {
      chunks.add(errorBody);
    }
    chunks.add(END);
  }

  private void writeStream(BlockingQueue<byte[]> queue) {
    exchange.startBlocking();
    exchange.setStatusCode(200);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, NDJSON);
    try (OutputStream out = exchange.getOutputStream()) {
      for (byte[] chunk = queue.take(); chunk != END; chunk = queue.take()) {
        out.write(chunk);
        out.write('\n');
        out.flush();
      }
    } catch (IOException e) {
      exchange.setPersistent(false);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      exchange.endExchange();
    }
  }

  @Override
  public String toString() {
    return "ExchangeResponder[" + exchange.getRequestPath() + "]";
  }
}
