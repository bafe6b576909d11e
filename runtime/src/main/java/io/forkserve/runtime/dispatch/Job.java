package io.forkserve.runtime.dispatch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import io.forkserve.worker.Request;
import io.forkserve.worker.channel.Frames;
import java.nio.ByteBuffer;
import java.util.List;

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
  final String contentType;
  final String query;
  final List<Request.Part> parts;
  private final Responder responder;
  /** The request's trace and span ids for the worker's exemplars (Frames), or empty. */
  byte[] trace = new byte[0];
  private volatile StreamFlow flow = StreamFlow.NONE;

  @SuppressWarnings("unused") // accessed through STATE
  private volatile int state;

  /**
   * A job for request body {@code body}; {@code headers} is the encoded header block sent only to
   * workers that authorize (may be empty), {@code deadlineNanos} on the dispatcher's clock.
   */
  public Job(long id, ByteBuffer body, byte[] headers, long deadlineNanos, Responder responder) {
    this(id, body, headers, "", "", List.of(), deadlineNanos, responder);
  }

  /**
   * A job that also carries the request's content type, raw query string and the parts of a
   * multipart upload the front parsed (empty: not multipart; {@code body} is then empty).
   */
  public Job(
      long id,
      ByteBuffer body,
      byte[] headers,
      String contentType,
      String query,
      List<Request.Part> parts,
      long deadlineNanos,
      Responder responder) {
    this.id = id;
    this.body = body;
    this.headers = headers;
    this.contentType = contentType;
    this.query = query;
    this.parts = parts;
    this.deadlineNanos = deadlineNanos;
    this.responder = responder;
  }

  /**
   * A bound on what this job's REQUESTS entry holds of the socket's send buffer until the worker
   * reads it: its bytes, twice over (kernel buffers round up), plus a buffer's fixed cost.
   */
  int socketBytes() {
    long bytes = 64L + body.remaining() + (headers == null ? 0 : headers.length);
    bytes += contentType == null ? 0 : contentType.length();
    bytes += query == null ? 0 : query.length();
    for (int i = 0; i < parts.size(); i++) { // no iterator: called twice per request
      Request.Part part = parts.get(i);
      bytes += 64L + part.bytes().length + part.name().length();
    }
    bytes += trace.length;
    return (int) Math.min(Integer.MAX_VALUE / 2, 2 * bytes + 1024);
  }

  /** Sets the trace and span ids sent with the request (see {@code Frames.putRequest}). */
  public void trace(byte[] trace) {
    this.trace = trace;
  }

  /** Set by the link that sends the job to a streaming worker. */
  void flow(StreamFlow flow) {
    this.flow = flow;
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

  /** Answers with a whole response of {@code meta}'s type unless the job already has one. */
  boolean respond(int status, Frames.ResponseMeta meta, byte[] body) {
    if (!STATE.compareAndSet(this, WAITING, DONE)) {
      return false;
    }
    if (meta.isJson()) {
      responder.respond(status, body, false);
    } else {
      responder.respond(status, meta, body);
    }
    return true;
  }

  void chunk(byte[] bytes) {
    int current = getStateAcquire();
    if (current == WAITING) {
      if (!STATE.compareAndSet(this, WAITING, STREAMING)) {
        return;
      }
      responder.streamFlow(flow);
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
