package io.forkserve.runtime.front;

import io.undertow.io.Receiver;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import org.xnio.IoUtils;
import org.xnio.XnioExecutor;

/**
 * Reads request bodies within the request's deadline. A body still incomplete when the deadline
 * comes is answered 408 and its connection closed, so a client trickling a body holds a
 * connection no longer than {@code --timeout}; a body over the limit is answered 413.
 */
final class BodyReader {
  /*
   * Exactly one of "body complete" and "deadline" wins, by a CAS on a flag shared by the timer
   * (on the exchange's IO thread) and the reader. For a whole body the reader is Undertow's
   * non-blocking receiver, and the timer answers 408 itself. A multipart upload is parsed by
   * blocking reads on another thread, which no response can interrupt: there the timer closes
   * the connection, which ends the blocked read with an IOException that the parser's thread
   * then ignores.
   */

  private BodyReader() {}

  /**
   * Reads the whole body of {@code exchange}, at most {@code maxBytes}, then calls {@code onBody}
   * on the IO thread; a failure or timeout is answered here with a JSON error.
   */
  static void readFull(
      HttpServerExchange exchange,
      long maxBytes,
      long nanosLeft,
      BiConsumer<HttpServerExchange, byte[]> onBody) {
    Deadline deadline =
        arm(
            exchange,
            nanosLeft,
            () -> Errors.send(exchange, 408, "request body not received within --timeout"));
    Receiver receiver = exchange.getRequestReceiver();
    receiver.setMaxBufferSize((int) Math.min(Integer.MAX_VALUE, maxBytes));
    receiver.receiveFullBytes(
        (ex, body) -> {
          if (deadline.cancel()) {
            onBody.accept(ex, body);
          }
        },
        (ex, e) -> {
          if (deadline.cancel()) {
            failed(ex, e, maxBytes);
          }
        });
  }

  /** A deadline for blocking reads: see {@link #closeAfter}. */
  interface Deadline {
    /** Stops the timer; false when the deadline has already fired. */
    boolean cancel();
  }

  /**
   * Closes {@code exchange}'s connection unless {@link Deadline#cancel} is called within {@code
   * nanosLeft}: for bodies read by blocking reads on another thread.
   */
  static Deadline closeAfter(HttpServerExchange exchange, long nanosLeft) {
    return arm(exchange, nanosLeft, () -> IoUtils.safeClose(exchange.getConnection()));
  }

  /**
   * Runs {@code onExpiry} on the exchange's IO thread after {@code nanosLeft}, with the connection
   * no longer persistent, unless the returned deadline is cancelled first: one CAS decides.
   */
  private static Deadline arm(HttpServerExchange exchange, long nanosLeft, Runnable onExpiry) {
    AtomicBoolean done = new AtomicBoolean();
    XnioExecutor.Key timer =
        exchange
            .getIoThread()
            .executeAfter(
                () -> {
                  if (done.compareAndSet(false, true)) {
                    exchange.setPersistent(false);
                    onExpiry.run();
                  }
                },
                Math.max(0, nanosLeft),
                TimeUnit.NANOSECONDS);
    return () -> {
      if (!done.compareAndSet(false, true)) {
        return false;
      }
      timer.remove();
      return true;
    };
  }

  /** Answers a body that could not be read: 413 when over {@code maxBytes}, else 400. */
  static void failed(HttpServerExchange exchange, IOException e, long maxBytes) {
    exchange.setPersistent(false);
    if (e instanceof RequestTooBigException || e instanceof Receiver.RequestToLargeException) {
      Errors.send(exchange, 413, "request body over the limit of " + maxBytes + " bytes");
    } else {
      Errors.send(exchange, 400, "could not read the request body: " + e.getMessage());
    }
  }
}
