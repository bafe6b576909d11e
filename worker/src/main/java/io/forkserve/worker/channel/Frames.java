package io.forkserve.worker.channel;

import io.forkserve.worker.Request;
import io.forkserve.worker.RequestInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The codec of the channel between the front and one worker: encode and decode for every frame kind
 * of {@link FrameLayout}. The front ({@code runtime/}) and the worker ({@code worker/}) both use
 * it; neither reads or writes frame bytes elsewhere. Stateless; writers and readers belong to their
 * callers' threads.
 *
 * <p>Why one class of over 500 lines: it is the one home of the frame bytes (the front and the
 * worker used to decode frames each on their own). Each frame kind is a short encode/decode pair over the
 * offsets of {@link FrameLayout}; split by kind, the shared header handling and the checks that
 * bound a hostile length would be written once per class, and FramesTest tests it as one codec.
 */
public final class Frames {
  /*
   * Protocol. Each worker opens one Unix domain stream socket to the front's socket file and
   * keeps it for its whole life. Both directions carry frames (layout: FrameLayout).
   *
   * Worker -> front:
   *   HELLO     first frame: the worker's index, pid, initial credit, flags (FLAG_STREAMING;
   *             FLAG_AUTHORIZE: send the header block with each request; FLAG_SSE: streams
   *             default to server-sent events; FLAG_RAW: the api takes any content type) and
   *             api class.
   *   READY     setup() returned after the given nanos; the worker takes requests from now on.
   *   FAILED    setup() threw (message); the worker exits after sending it.
   *   RESPONSES a batch of answers, each (id, status, kind, meta, body): KIND_FINAL is a whole
   *             body, JSON unless meta names a content type and headers; KIND_CHUNK one streamed
   *             JSON chunk; KIND_END closes a stream (an empty body, or the error that ended it;
   *             status 499 when it ended because of CANCEL). A streaming worker sends one
   *             response per frame.
   *   CREDIT    the front may send n more requests.
   *   HEALTH    heartbeat, about once a second while the serving thread makes progress, with
   *             the api's health(); silence past --worker-timeout gets the worker killed.
   *   LOG       a key and a JSON value from the api's log(), for the front's loggers.
   *
   * Front -> worker:
   *   REQUESTS  a batch of (id, header block, meta, parts, body): bodies exactly as the client
   *             sent them (the front never parses them), except multipart/form-data for
   *             FLAG_RAW workers, which the front parses into parts (the body is then empty);
   *             meta is the content type and query string; the header block only for
   *             FLAG_AUTHORIZE workers.
   *   STREAM_ACK the front has written n more bytes of stream id to its client.
   *   CANCEL    the client of stream id has gone: the worker stops it (its emit throws) and
   *             ends it with KIND_END status 499.
   *
   * Stream back-pressure: a streaming worker keeps at most STREAM_WINDOW_BYTES of chunk bodies
   * per stream unacknowledged (always allowing one chunk); emit blocks until STREAM_ACKs make
   * room. So a client that reads slowly, or not at all, holds at most one window in the front
   * and stops the generation instead of growing the front's heap.
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

  /** Chunk bytes of one stream a worker may send before the front acknowledges them. */
  public static final int STREAM_WINDOW_BYTES = 1 << 20;

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

    /** True when the api's streams default to server-sent events. */
    public boolean sse() {
      return (flags & FrameLayout.FLAG_SSE) != 0;
    }

    /** True when the api takes requests of any content type. */
    public boolean raw() {
      return (flags & FrameLayout.FLAG_RAW) != 0;
    }
  }

  /**
   * The meta block of a RESPONSE: a content type and headers; {@link #JSON} (empty on the wire)
   * for a plain JSON body.
   */
  public record ResponseMeta(String contentType, Map<String, String> headers) {
    public static final ResponseMeta JSON = new ResponseMeta("application/json", Map.of());

    /** True for the default: JSON without extra headers. */
    public boolean isJson() {
      return this == JSON || (headers.isEmpty() && "application/json".equals(contentType));
    }
  }

  /** What the front receives after HELLO, one method per frame kind; called on its reader. */
  public interface FromWorker {
    void ready(long setupNanos);

    void failed(String message);

    /** One entry of a RESPONSES frame; {@code kind} is one of {@code FrameLayout.KIND_*}. */
    void response(long id, int status, byte kind, ResponseMeta meta, byte[] body);

    void credit(int n);

    void health(boolean healthy);

    void log(String key, byte[] json);
  }

  /** What the worker receives, one method per frame kind; called on its reader. */
  public interface FromFront {
    /**
     * One entry of a REQUESTS frame; {@code trace} is the request's W3C trace id and span id (48
     * hex characters), or null when it had no valid {@code traceparent}.
     */
    void request(long id, Request request, String trace);

    /** The client of stream {@code id} has gone. */
    void cancel(long id);

    /** The front has written {@code bytes} more bytes of stream {@code id}. */
    void streamAck(long id, int bytes);
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
    writeHello(out, index, pid, credit, streaming, authorize, false, false, apiClass);
  }

  /** Appends HELLO with every flag. */
  public static void writeHello(
      FrameWriter out,
      int index,
      long pid,
      int credit,
      boolean streaming,
      boolean authorize,
      boolean sse,
      boolean raw,
      String apiClass) {
    byte flags = 0;
    if (streaming) {
      flags |= FrameLayout.FLAG_STREAMING;
    }
    if (authorize) {
      flags |= FrameLayout.FLAG_AUTHORIZE;
    }
    if (sse) {
      flags |= FrameLayout.FLAG_SSE;
    }
    if (raw) {
      flags |= FrameLayout.FLAG_RAW;
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

  /** Appends one entry (a JSON body) to the RESPONSES frame begun last. */
  public static void putResponse(FrameWriter out, long id, int status, byte kind, byte[] body) {
    out.putLong(id).putShort((short) status).putByte(kind).putInt(0).putSizedBytes(body);
  }

  /** Appends one entry with {@code meta} (JSON: none) to the RESPONSES frame begun last. */
  public static void putResponse(
      FrameWriter out, long id, int status, byte kind, ResponseMeta meta, byte[] body) {
    out.putLong(id).putShort((short) status).putByte(kind);
    out.putSizedBytes(meta == null || meta.isJson() ? EMPTY : encodeMeta(meta));
    out.putSizedBytes(body);
  }

  private static byte[] encodeMeta(ResponseMeta meta) {
    StringBuilder text = new StringBuilder(meta.contentType());
    for (Map.Entry<String, String> header : meta.headers().entrySet()) {
      text.append('\0').append(header.getKey()).append('\0').append(header.getValue());
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
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
    putRequest(out, id, headers, "", "", List.of(), body, EMPTY);
  }

  /** As the eight-argument {@code putRequest}, without a trace. */
  public static void putRequest(
      FrameWriter out,
      long id,
      byte[] headers,
      String contentType,
      String query,
      List<Request.Part> parts,
      ByteBuffer body) {
    putRequest(out, id, headers, contentType, query, parts, body, EMPTY);
  }

  /**
   * Appends one entry to the REQUESTS frame begun last, with the request's content type and raw
   * query string (null or empty: none), its multipart {@code parts} (empty: not multipart) and its
   * W3C {@code trace} (empty, or the trace id and span id: 48 lower-case hex characters).
   */
  public static void putRequest(
      FrameWriter out,
      long id,
      byte[] headers,
      String contentType,
      String query,
      List<Request.Part> parts,
      ByteBuffer body,
      byte[] trace) {
    out.putLong(id).putSizedBytes(headers == null ? EMPTY : headers);
    String ct = contentType == null ? "" : contentType;
    String q = query == null ? "" : query;
    out.putSizedBytes(
        ct.isEmpty() && q.isEmpty() ? EMPTY : (ct + '\0' + q).getBytes(StandardCharsets.UTF_8));
    if (parts.isEmpty()) {
      out.putInt(0);
    } else {
      int lengthAt = out.buffered();
      out.putInt(0).putInt(parts.size());
      for (Request.Part part : parts) {
        out.putByte(part.isFile() ? FrameLayout.PART_FILE : 0);
        out.putSizedBytes(part.name().getBytes(StandardCharsets.UTF_8));
        out.putSizedBytes(
            part.isFile() ? part.fileName().getBytes(StandardCharsets.UTF_8) : EMPTY);
        String type = part.contentType() == null ? "" : part.contentType();
        out.putSizedBytes(type.getBytes(StandardCharsets.UTF_8));
        out.putSizedBytes(part.bytes());
      }
      out.patchInt(lengthAt, out.buffered() - lengthAt - 4);
    }
    out.putSizedBytes(body);
    out.putSizedBytes(trace == null ? EMPTY : trace);
  }

  /** Appends CANCEL for stream {@code id}. */
  public static void writeCancel(FrameWriter out, long id) {
    out.beginFrame(FrameLayout.CANCEL).putLong(id).endFrame();
  }

  /** Appends STREAM_ACK: {@code bytes} more bytes of stream {@code id} reached the client. */
  public static void writeStreamAck(FrameWriter out, long id, int bytes) {
    out.beginFrame(FrameLayout.STREAM_ACK).putLong(id).putInt(bytes).endFrame();
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

  /** Decodes a frame the front sent (REQUESTS, CANCEL or STREAM_ACK) and hands it to {@code to}. */
  public static void decodeFromFront(byte type, ByteBuffer payload, FromFront to)
      throws FrameException {
    switch (type) {
      case FrameLayout.REQUESTS:
        decodeRequests(payload, to);
        break;
      case FrameLayout.CANCEL:
        exactly(payload, FrameLayout.CANCEL_BYTES, "CANCEL");
        to.cancel(payload.getLong());
        break;
      case FrameLayout.STREAM_ACK:
        exactly(payload, FrameLayout.STREAM_ACK_BYTES, "STREAM_ACK");
        long id = payload.getLong();
        to.streamAck(id, nonNegative(payload.getInt(), "STREAM_ACK bytes"));
        break;
      default:
        throw new FrameException("unexpected frame type " + type + " from the front");
    }
  }

  private static void decodeRequests(ByteBuffer payload, FromFront to) throws FrameException {
    int count = count(payload, FrameLayout.REQUEST_MIN_BYTES, "REQUESTS");
    for (int i = 0; i < count; i++) {
      need(payload, FrameLayout.REQUEST_MIN_BYTES, "REQUESTS entry");
      long id = payload.getLong();
      int headerBytes = sized(payload, "REQUESTS headers");
      RequestInfo info = headerBytes == 0 ? null : requestInfo(payload, headerBytes);
      String[] meta = utf8(payload, sized(payload, "REQUESTS meta")).split("\0", 2);
      List<Request.Part> parts = parts(payload, sized(payload, "REQUESTS parts"));
      byte[] body = bytes(payload, sized(payload, "REQUESTS body"));
      Request request = new Request(body, meta[0], meta.length > 1 ? meta[1] : "", parts, info);
      to.request(id, request, trace(payload));
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

  private static List<Request.Part> parts(ByteBuffer payload, int length) throws FrameException {
    if (length == 0) {
      return List.of();
    }
    ByteBuffer block = payload.slice(payload.position(), length);
    payload.position(payload.position() + length);
    int count = count(block, FrameLayout.PART_MIN_BYTES, "REQUESTS parts");
    List<Request.Part> parts = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      need(block, FrameLayout.PART_MIN_BYTES, "PART");
      byte flags = block.get();
      String name = utf8(block, sized(block, "PART name"));
      String fileName = utf8(block, sized(block, "PART file name"));
      String contentType = utf8(block, sized(block, "PART content type"));
      byte[] data = bytes(block, sized(block, "PART data"));
      boolean file = (flags & FrameLayout.PART_FILE) != 0;
      parts.add(new Request.Part(name, file ? fileName : null, contentType, data));
    }
    noTrailing(block, "REQUESTS parts");
    return parts;
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
      int metaBytes = sized(payload, "RESPONSES meta");
      ResponseMeta meta = metaBytes == 0 ? ResponseMeta.JSON : responseMeta(payload, metaBytes);
      to.response(id, status, kind, meta, bytes(payload, sized(payload, "RESPONSES body")));
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

  /** Parses a response meta block "content type\0name\0value\0..."; the last of a name wins. */
  private static ResponseMeta responseMeta(ByteBuffer payload, int length) {
    String[] parts = utf8(payload, length).split("\0", -1);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i + 1 < parts.length; i += 2) {
      headers.put(parts[i], parts[i + 1]);
    }
    return new ResponseMeta(parts[0], headers);
  }

  private static void need(ByteBuffer payload, int bytes, String what) throws FrameException {
    need(payload, bytes, what, "");
  }

  /**
   * Checks that {@code bytes} are left; the message names {@code what + suffix}, joined only when
   * it is thrown (these checks run several times per request).
   */
  private static void need(ByteBuffer payload, int bytes, String what, String suffix)
      throws FrameException {
    if (payload.remaining() < bytes) {
      throw new FrameException(
          what
              + suffix
              + " truncated: needs "
              + bytes
              + " bytes, "
              + payload.remaining()
              + " left");
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
    need(payload, FrameLayout.COUNT_BYTES, what, " count");
    int count = payload.getInt();
    if (count < 0 || (long) count * minEntry > payload.remaining()) {
      throw new FrameException(
          what + " count " + count + " does not fit in " + payload.remaining() + " bytes");
    }
    return count;
  }

  /** Reads the int32 length of a sized block and checks that the block is all there. */
  private static int sized(ByteBuffer payload, String what) throws FrameException {
    need(payload, 4, what, " length");
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
