package io.forkserve.runtime.dispatch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;

/** One request on its way from the front's queue to a worker and back. */
public final class Job {
  /*
   * State machine, advanced by CAS so that exactly one outcome reaches the client even when a
   * worker's answer and the timeout sweeper race:
   *
   *   WAITING --respond/timeout/fail--> DONE
   *   WAITING --first chunk--> STREAMING --end--> DONE
   *
   * Only the thread that wins WAITING->DONE (or WAITING->STREAMING) talks to the responder;
   * chunks of a stream come from one channel reader thread, in order. A timeout only applies
   * to WAITING jobs: once a stream has started its status is committed.
   */

  private static final int WAITING = 0;
  private static final int STREAMING = 1;
  private static final int DONE = 2;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Job.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final long id;
  final ByteBuffer body;
  final byte[] headers;
  final long deadlineNanos;
  private final Responder responder;
  /** The request's trace and span ids for the worker's exemplars (Frames), or empty. */
  byte[] trace = new byte[0];

  @SuppressWarnings("unused") // accessed through STATE
  private volatile int state;

  /**
   * A job for request body {@code body}; {@code headers} is the encoded header block sent only to
   * workers that authorize (may be empty), {@code deadlineNanos} on the dispatcher's clock.
   */
  public Job(long id, ByteBuffer body, byte[] headers, long deadlineNanos, Responder responder) {
    this.id = id;
    this.body = body;
    this.headers = headers;
    this.deadlineNanos = deadlineNanos;
    this.responder = responder;
  }

  /** Sets the trace and span ids sent with the request (see {@code Frames.putRequest}). */
  public void trace(byte[] trace) {
    this.trace = trace;
  }

  /** The job's id on the channel. */
  public long id() {
    return id;
  }

  /** True once the client has its whole answer. */
  public boolean isDone() {
    return getStateAcquire() == DONE;
  }

  boolean isWaiting() {
    return getStateAcquire() == WAITING;
  }

  /** Answers with a whole response unless the job already has one; true if this call did. */
  public boolean respond(int status, byte[] body, boolean retryAfter) {
    if (!STATE.compareAndSet(this, WAITING, DONE)) {
      return false;
    }
    responder.respond(status, body, retryAfter);
    return true;
  }

  void chunk(byte[] bytes) {
    int current = getStateAcquire();
    if (current == WAITING && !STATE.compareAndSet(this, WAITING, STREAMING)) {
      return;
    }
    if (current == DONE) {
      return;
    }
    responder.chunk(bytes);
  }

  void end(int status, byte[] errorBody) {
    if (STATE.compareAndSet(this, STREAMING, DONE)) {
      responder.end(status, errorBody);
    } else {
      respond(status, errorBody == null ? new byte[0] : errorBody, false);
    }
  }

  /**
   * Fails the job with {@code status} (and Retry-After) whatever its state: a waiting job gets a
   * whole error response, a started stream ends with the error as its last chunk.
   */
  void fail(int status, byte[] body) {
    if (respond(status, body, true)) {
      return;
    }
    if (STATE.compareAndSet(this, STREAMING, DONE)) {
      responder.end(status, body);
    }
  }

  private int getStateAcquire() {
    return (int) STATE.getAcquire(this);
  }
}
