package io.forkserve.runtime.front;

import io.forkserve.runtime.dispatch.Responder;
import io.forkserve.runtime.dispatch.StreamFlow;
import io.forkserve.worker.channel.Frames;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Answers one HTTP exchange from the thread that completes its job. Whole responses go out through
 * Undertow's async sender; a stream is written by a blocking writer thread from the stream pool,
 * which flushes every chunk in the request's {@link StreamEncoding}.
 */
final class ExchangeResponder implements Responder {
  /*
   * Stream flow. The writer thread reports the bytes it has written (StreamFlow.written, about
   * every ACK_BYTES or whenever it has caught up), which is what lets the worker send more
   * (Frames: STREAM_WINDOW_BYTES per stream). So the queue between the channel reader and the
   * writer holds at most one window: a client that does not read stalls its own worker instead
   * of the front's heap. When a write fails (the client has gone) the writer cancels the flow,
   * the worker's emit throws, and chunks still arriving are dropped until the worker's END.
   */

  static final String JSON = "application/json";
  private static final byte[] END = new byte[0];
  private static final int ACK_BYTES = 64 * 1024;

  private final HttpServerExchange exchange;
  private final Executor streamPool;
  private final StreamEncoding encoding;
  private final Runnable onCancel;
  private BlockingQueue<byte[]> chunks;
  private volatile StreamFlow flow = StreamFlow.NONE;
  private volatile boolean clientGone;

  ExchangeResponder(HttpServerExchange exchange, Executor streamPool) {
    this(exchange, streamPool, StreamEncoding.NDJSON, () -> {});
  }

  /** A responder streaming in {@code encoding}; {@code onCancel} runs once per cancelled stream. */
  ExchangeResponder(
      HttpServerExchange exchange,
      Executor streamPool,
      StreamEncoding encoding,
      Runnable onCancel) {
    this.exchange = exchange;
    this.streamPool = streamPool;
    this.encoding = encoding;
    this.onCancel = onCancel;
  }

  /**
   * Sends on the thread that completes the job (the link's reader, for a worker's answer): the
   * connection's reads stay armed while the job waits ({@link ArmedReads}), so ending the
   * exchange here changes no selector interest, and the IO thread is neither woken nor handed a
   * task. Undertow's async sender never blocks: a client that does not read gets the rest
   * written by its IO thread.
   */
  @Override
  public void respond(int status, byte[] body, boolean retryAfter) {
    sendOnItsThread(() -> send(exchange, status, body, retryAfter));
  }

  @Override
  public void respond(int status, Frames.ResponseMeta meta, byte[] body) {
    sendOnItsThread(() -> send(exchange, status, meta, body));
  }

  /**
   * Runs {@code send} here, or, for an exchange in blocking mode (a multipart upload was parsed
   * with blocking reads), on the stream pool: blocking writes may not run on the IO thread, nor
   * on a channel reader.
   */
  private void sendOnItsThread(Runnable send) {
    if (exchange.isBlocking()) {
      streamPool.execute(send);
    } else {
      send.run();
    }
  }

  /** Sends a whole JSON response. */
  static void send(HttpServerExchange exchange, int status, byte[] body, boolean retryAfter) {
    if (status >= 400 && OpenAiErrors.wanted(exchange)) {
      body = OpenAiErrors.reshape(status, body);
    }
    exchange.setStatusCode(status);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
    if (retryAfter) {
      exchange.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
    }
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  /** Sends a whole response with {@code meta}'s content type and headers. */
  static void send(
      HttpServerExchange exchange, int status, Frames.ResponseMeta meta, byte[] body) {
    exchange.setStatusCode(status);
    for (Map.Entry<String, String> header : meta.headers().entrySet()) {
      exchange
          .getResponseHeaders()
          .put(HttpString.tryFromString(header.getKey()), header.getValue());
    }
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, meta.contentType());
    exchange.getResponseSender().send(ByteBuffer.wrap(body));
  }

  @Override
  public void streamFlow(StreamFlow flow) {
    this.flow = flow;
  }

  @Override
  public void chunk(byte[] body) {
    if (clientGone) {
      return;
    }
    if (chunks == null) {
      chunks = new LinkedBlockingQueue<>();
      BlockingQueue<byte[]> queue = chunks;
      streamPool.execute(() -> writeStream(queue));
    }
    chunks.add(encoding.chunk(body));
  }

  @Override
  public void end(int status, byte[] errorBody) {
    if (chunks == null) {
      return;
    }
    byte[] last = encoding.end(status, errorBody);
    if (last.length > 0 && !clientGone) {
      chunks.add(last);
    }
    chunks.add(END);
  }

  private void writeStream(BlockingQueue<byte[]> queue) {
    exchange.startBlocking();
    exchange.setStatusCode(200);
    exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, encoding.contentType());
    if (encoding.contentType().equals("text/event-stream")) {
      exchange.getResponseHeaders().put(Headers.CACHE_CONTROL, "no-cache");
    }
    int unacked = 0;
    try (OutputStream out = exchange.getOutputStream()) {
      for (byte[] chunk = queue.take(); chunk != END; chunk = queue.take()) {
        out.write(chunk);
        out.flush();
        unacked += chunk.length;
        if (unacked >= ACK_BYTES || queue.isEmpty()) {
          flow.written(unacked);
          unacked = 0;
        }
      }
    } catch (IOException e) {
      clientGone();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      clientGone();
    } finally {
      queue.clear();
      exchange.endExchange();
    }
  }

  private void clientGone() {
    clientGone = true;
    exchange.setPersistent(false);
    flow.cancel();
    onCancel.run();
  }

  @Override
  public String toString() {
    return "ExchangeResponder[" + exchange.getRequestPath() + ", " + encoding + "]";
  }
}
