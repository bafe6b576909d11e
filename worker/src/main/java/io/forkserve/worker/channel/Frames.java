package io.forkserve.worker.channel;

import io.forkserve.worker.RequestInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The codec of the channel between the front and one worker: encode and decode for every frame kind
 * of {@link FrameLayout}. The front ({@code runtime/}) and the worker ({@code worker/}) both use
 * it; neither reads or writes frame bytes elsewhere. Stateless; writers and readers belong to their
 * callers' threads.
 */
public final class Frames {
  /*
   * Protocol. Each worker opens one Unix domain stream socket to the front's socket file and
   * keeps it for its whole life. Both directions carry frames (layout: FrameLayout).
   *
   * Worker -> front:
   *   HELLO     first frame: the worker's index, pid, initial credit, flags (FLAG_STREAMING;
   *             FLAG_AUTHORIZE: send the header block with each request) and api class.
   *   READY     setup() returned after the given nanos; the worker takes requests from now on.
   *   FAILED    setup() threw (message); the worker exits after sending it.
   *   RESPONSES a batch of answers, each (id, status, kind, body): KIND_FINAL is a whole JSON
   *             body; KIND_CHUNK one streamed chunk; KIND_END closes a stream (an empty body, or
   *             the error that ended it). A streaming worker sends one response per frame.
   *   CREDIT    the front may send n more requests.
   *   HEALTH    heartbeat, about once a second while the serving thread makes progress, with
   *             the api's health(); silence past --worker-timeout gets the worker killed.
   *   LOG       a key and a JSON value from the api's log(), for the front's loggers.
   *
   * Front -> worker:
   *   REQUESTS  a batch of (id, header block, body): bodies exactly as the client sent them (the
   *             front never parses them); the header block only for FLAG_AUTHORIZE workers.
   *
   * Flow control is pull-based: the front keeps one central queue and sends a worker only as
   * many requests as the worker has granted credit for (HELLO, then CREDIT). The worker grants
   * credit after each batch so that what it holds is about CREDIT_WINDOW_NANOS of its own
   * measured work: many requests for a fast model (so they travel many per syscall), one batch
   * for a slow one (so it pulls only when idle). Either way a busy or stuck worker never
   * collects a backlog: requests wait in the front's queue, where any free worker takes them.
   * Under load both sides pack many frames (and the front many requests per REQUESTS frame)
   * into one write, so syscalls are paid per batch, not per request. A front that goes away
   * shows as EOF on the socket; the worker then exits.
   *
   * Decoding checks every length against what is left of the payload before reading, so a
   * truncated, oversized or garbage frame ends in one FrameException naming what is wrong, never
   * a BufferUnderflowException or a huge allocation. A batch is delivered entry by entry as it
   * is decoded: entries before a bad one have been delivered when the exception is thrown (the
   * channel is then closed, and whatever is still pending fails).
   */

  /** How much work, in measured serving time, a worker asks to hold at once. */
  public static final long CREDIT_WINDOW_NANOS = 1_000_000;

  /** The most requests a worker holds at once, per unit of max batch size. */
  public static final int MAX_CREDIT_PER_BATCH_SLOT = 64;

  private static final byte[] EMPTY = new byte[0];

  private Frames() {}

  /** The first frame of a worker. */
  public record Hello(int index, long pid, int credit, byte flags, String apiClass) {
    /** True when the worker streams its responses. */
    public boolean streaming() {
      return (flags & FrameLayout.FLAG_STREAMING) != 0;
    }

    /** True when the worker wants the header block with each request. */
    public boolean wantsHeaders() {
      return (flags & FrameLayout.FLAG_AUTHORIZE) != 0;
    }
  }

  /** What the front receives after HELLO, one method per frame kind; called on its reader. */
  public interface FromWorker {
    void ready(long setupNanos);

    void failed(String message);

    /** One entry of a RESPONSES frame; {@code kind} is one of {@code FrameLayout.KIND_*}. */
    void response(long id, int status, byte kind, byte[] body);

    void credit(int n);

    void health(boolean healthy);

    void log(String key, byte[] json);
  }

  /** What the worker receives: one entry of a REQUESTS frame. */
  @FunctionalInterface
  public interface FromFront {
    /** {@code info} is null unless the front sent a header block. */
    void request(long id, RequestInfo info, byte[] body);

    /**
     * As {@link #request(long, RequestInfo, byte[])}, with the request's trace id and span id
     * (48 hex characters), or null when it had no valid {@code traceparent}.
     */
    default void request(long id, RequestInfo info, byte[] body, String trace) {
      request(id, info, body);
    }
  }

  // ---- worker -> front: encode ----

  /** Appends HELLO. */
  public static void writeHello(
      FrameWriter out,
      int index,
      long pid,
      int credit,
      boolean streaming,
      boolean authorize,
      String apiClass) {
    byte flags = 0;
    if (streaming) {
      flags |= FrameLayout.FLAG_STREAMING;
    }
    if (authorize) {
      flags |= FrameLayout.FLAG_AUTHORIZE;
    }
    out.beginFrame(FrameLayout.HELLO).putInt(index).putLong(pid).putInt(credit).putByte(flags);
    out.putUtf8(apiClass).endFrame();
  }

  /** Appends READY. */
  public static void writeReady(FrameWriter out, long setupNanos) {
    out.beginFrame(FrameLayout.READY).putLong(setupNanos).endFrame();
  }

  /** Appends FAILED. */
  public static void writeFailed(FrameWriter out, String message) {
    out.beginFrame(FrameLayout.FAILED).putUtf8(message).endFrame();
  }

  /** Appends CREDIT for {@code n} (positive) more requests. */
  public static void writeCredit(FrameWriter out, int n) {
    out.beginFrame(FrameLayout.CREDIT).putInt(n).endFrame();
  }

  /** Appends HEALTH. */
  public static void writeHealth(FrameWriter out, boolean healthy) {
    out.beginFrame(FrameLayout.HEALTH).putByte((byte) (healthy ? 1 : 0)).endFrame();
  }

  /** Appends LOG with {@code json} the UTF-8 JSON value. */
  public static void writeLog(FrameWriter out, String key, byte[] json) {
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    out.beginFrame(FrameLayout.LOG).putSizedBytes(keyBytes).putBytes(json).endFrame();
  }

  /** Starts a RESPONSES frame of {@code count} entries: {@link #putResponse} each, then end. */
  public static void beginResponses(FrameWriter out, int count) {
    out.beginFrame(FrameLayout.RESPONSES).putInt(count);
  }

  /** Appends one entry to the RESPONSES frame begun last. */
  public static void putResponse(FrameWriter out, long id, int status, byte kind, byte[] body) {
    out.putLong(id).putShort((short) status).putByte(kind).putSizedBytes(body);
  }

  /** Ends the RESPONSES or REQUESTS frame begun last. */
  public static void endBatch(FrameWriter out) {
    out.endFrame();
  }

  /** Appends a RESPONSES frame holding one entry. */
  public static void writeResponse(FrameWriter out, long id, int status, byte kind, byte[] body) {
    beginResponses(out, 1);
    putResponse(out, id, status, kind, body);
    endBatch(out);
  }

  // ---- front -> worker: encode ----

  /** Starts a REQUESTS frame of {@code count} entries: {@link #putRequest} each, then end. */
  public static void beginRequests(FrameWriter out, int count) {
    out.beginFrame(FrameLayout.REQUESTS).putInt(count);
  }

  /**
   * Appends one entry to the REQUESTS frame begun last; {@code headers} is a header block (null or
   * empty: none). {@code body}'s position is left as it was.
   */
  public static void putRequest(FrameWriter out, long id, byte[] headers, ByteBuffer body) {
    putRequest(out, id, headers, body, EMPTY);
  }

  /**
   * As {@link #putRequest(FrameWriter, long, byte[], ByteBuffer)}, with the request's W3C trace:
   * {@code trace} is empty or the trace id and span id, 48 lower-case hex characters.
   */
  public static void putRequest(FrameWriter out, long id, byte[] headers, ByteBuffer body,
      byte[] trace) {
    out.putLong(id).putSizedBytes(headers == null ? EMPTY : headers).putSizedBytes(body);
    out.putSizedBytes(trace);
  }

  // ---- decode ----

  /** Decodes the first frame of a worker, which must be HELLO. */
  public static Hello decodeHello(byte type, ByteBuffer payload) throws FrameException {
    if (type != FrameLayout.HELLO) {
      throw new FrameException("worker did not start with HELLO (frame type " + type + ")");
    }
    need(payload, FrameLayout.HELLO_FIXED_BYTES, "HELLO");
    int index = payload.getInt();
    long pid = payload.getLong();
    int credit = nonNegative(payload.getInt(), "HELLO credit");
    byte flags = payload.get();
    return new Hello(index, pid, credit, flags, utf8(payload, payload.remaining()));
  }

  /** Decodes one frame a worker sent after HELLO and hands it to {@code to}. */
  public static void decodeFromWorker(byte type, ByteBuffer payload, FromWorker to)
      throws FrameException {
    switch (type) {
      case FrameLayout.RESPONSES:
        decodeResponses(payload, to);
        break;
      case FrameLayout.CREDIT:
        exactly(payload, 4, "CREDIT");
        to.credit(nonNegative(payload.getInt(), "CREDIT"));
        break;
      case FrameLayout.HEALTH:
        exactly(payload, 1, "HEALTH");
        to.health(flag(payload.get(), "HEALTH"));
        break;
      case FrameLayout.READY:
        exactly(payload, 8, "READY");
        to.ready(payload.getLong());
        break;
      case FrameLayout.FAILED:
        to.failed(utf8(payload, payload.remaining()));
        break;
      case FrameLayout.LOG:
        String key = utf8(payload, sized(payload, "LOG key"));
        to.log(key, bytes(payload, payload.remaining()));
        break;
      default:
        throw new FrameException("unexpected frame type " + type + " from a worker");
    }
  }

  /** Decodes a frame the front sent, which must be REQUESTS, handing each entry to {@code to}. */
  public static void decodeFromFront(byte type, ByteBuffer payload, FromFront to)
      throws FrameException {
    if (type != FrameLayout.REQUESTS) {
      throw new FrameException("unexpected frame type " + type + " from the front");
    }
    int count = count(payload, FrameLayout.REQUEST_MIN_BYTES, "REQUESTS");
    for (int i = 0; i < count; i++) {
      need(payload, FrameLayout.REQUEST_MIN_BYTES, "REQUESTS entry");
      long id = payload.getLong();
      int headerBytes = sized(payload, "REQUESTS headers");
      RequestInfo info = headerBytes == 0 ? null : requestInfo(payload, headerBytes);
      byte[] body = bytes(payload, sized(payload, "REQUESTS body"));
      to.request(id, info, body, trace(payload));
    }
    noTrailing(payload, "REQUESTS");
  }

  private static String trace(ByteBuffer payload) throws FrameException {
    int n = sized(payload, "REQUESTS trace");
    if (n == 0) {
      return null;
    }
    String trace = utf8(payload, n);
    if (!trace.matches("[0-9a-f]{48}")) {
      throw new FrameException("REQUESTS trace is not 48 hex characters");
    }
    return trace;
  }

  private static void decodeResponses(ByteBuffer payload, FromWorker to) throws FrameException {
    int count = count(payload, FrameLayout.RESPONSE_MIN_BYTES, "RESPONSES");
    for (int i = 0; i < count; i++) {
      need(payload, FrameLayout.RESPONSE_MIN_BYTES, "RESPONSES entry");
      long id = payload.getLong();
      int status = payload.getShort();
      if (status < 100 || status > 599) {
        throw new FrameException("RESPONSES status " + status + " is not an HTTP status");
      }
      byte kind = payload.get();
      if (kind != FrameLayout.KIND_FINAL
          && kind != FrameLayout.KIND_CHUNK
          && kind != FrameLayout.KIND_END) {
        throw new FrameException("RESPONSES kind " + kind + " unknown");
      }
      to.response(id, status, kind, bytes(payload, sized(payload, "RESPONSES body")));
    }
    noTrailing(payload, "RESPONSES");
  }

  /** Parses a header block "method\0path\0name\0value\0..."; the first of a name wins. */
  private static RequestInfo requestInfo(ByteBuffer payload, int length) throws FrameException {
    String[] parts = utf8(payload, length).split("\0", -1);
    if (parts.length < 2) {
      throw new FrameException("REQUESTS header block without method and path");
    }
    Map<String, String> headers = new HashMap<>();
    for (int i = 2; i + 1 < parts.length; i += 2) {
      headers.putIfAbsent(parts[i], parts[i + 1]);
    }
    return new RequestInfo(parts[0], parts[1], headers);
  }

  private static void need(ByteBuffer payload, int bytes, String what) throws FrameException {
    if (payload.remaining() < bytes) {
      throw new FrameException(
          what + " truncated: needs " + bytes + " bytes, " + payload.remaining() + " left");
    }
  }

  private static void exactly(ByteBuffer payload, int bytes, String what) throws FrameException {
    if (payload.remaining() != bytes) {
      throw new FrameException(
          what + " payload is " + payload.remaining() + " bytes, not " + bytes);
    }
  }

  private static void noTrailing(ByteBuffer payload, String what) throws FrameException {
    if (payload.hasRemaining()) {
      throw new FrameException(what + " has " + payload.remaining() + " trailing bytes");
    }
  }

  /** Reads an entry count that the rest of the payload can hold at {@code minEntry} bytes each. */
  private static int count(ByteBuffer payload, int minEntry, String what) throws FrameException {
    need(payload, FrameLayout.COUNT_BYTES, what + " count");
    int count = payload.getInt();
    if (count < 0 || (long) count * minEntry > payload.remaining()) {
      throw new FrameException(
          what + " count " + count + " does not fit in " + payload.remaining() + " bytes");
    }
    return count;
  }

  /** Reads the int32 length of a sized block and checks that the block is all there. */
  private static int sized(ByteBuffer payload, String what) throws FrameException {
    need(payload, 4, what + " length");
    int length = payload.getInt();
    if (length < 0 || length > payload.remaining()) {
      throw new FrameException(
          what + " length " + length + " does not fit in " + payload.remaining() + " bytes");
    }
    return length;
  }

  private static int nonNegative(int value, String what) throws FrameException {
    if (value < 0) {
      throw new FrameException(what + " " + value + " is negative");
    }
    return value;
  }

  private static boolean flag(byte value, String what) throws FrameException {
    if (value != 0 && value != 1) {
      throw new FrameException(what + " byte " + value + " is neither 0 nor 1");
    }
    return value == 1;
  }

  private static byte[] bytes(ByteBuffer payload, int length) {
    if (length == 0) {
      return EMPTY;
    }
    byte[] bytes = new byte[length];
    payload.get(bytes);
    return bytes;
  }

  private static String utf8(ByteBuffer payload, int length) {
    return new String(bytes(payload, length), StandardCharsets.UTF_8);
  }
}
