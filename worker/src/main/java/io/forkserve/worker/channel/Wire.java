package io.forkserve.worker.channel;

/**
 * Frame types and layouts of the channel between the front and one worker process. Shared by
 * the worker ({@code worker/}) and the front ({@code runtime/}); not user API.
 */
public final class Wire {
  /*
   * Protocol. Each worker opens one Unix domain stream socket to the front's socket file and
   * keeps it for its whole life. Both directions carry frames:
   *
   *   int32 length (big-endian, bytes after this field) | byte type | payload
   *
   * Worker -> front:
   *   HELLO     int32 index | int64 pid | int32 capacity | byte flags | utf8 api class
   *             First frame. capacity is how many requests the worker will hold at once (its
   *             credit); flags: FLAG_STREAMING, FLAG_AUTHORIZE (send headers with requests).
   *   READY     int64 setup nanos: setup() returned; the worker takes requests from now on.
   *   FAILED    utf8 message: setup() threw; the worker exits after sending it.
   *   RESPONSES int32 count | count x (int64 id | int16 status | byte kind | int32 n | n bytes)
   *             kind KIND_FINAL is a whole JSON body; KIND_CHUNK one streamed chunk; KIND_END
   *             closes a stream (empty body). FINAL and END each give one credit back.
   *   HEALTH    byte healthy (1/0): sent about once a second; also a liveness heartbeat.
   *   LOG       int32 n | n bytes utf8 key | rest: utf8 JSON value, for the front's loggers.
   *
   * Front -> worker:
   *   REQUESTS  int32 count | count x (int64 id | int32 h | h bytes headers | int32 n | n bytes)
   *             Request bodies exactly as the client sent them (the front never parses them).
   *             headers is "name\0value\0..." (lower-case names), only when the worker set
   *             FLAG_AUTHORIZE, else h = 0.
   *
   * Flow control is pull-based: the front keeps one central queue and sends a worker at most
   * `capacity` requests that it has not answered yet. A worker never holds more than that, so
   * a busy or stuck worker never collects a backlog; requests wait in the front's queue, where
   * any free worker takes them. Under load both sides pack many frames (and the front many
   * requests per REQUESTS frame) into one write, so syscalls are paid per batch, not per
   * request. A front that goes away shows as EOF on the socket; the worker then exits.
   */

  public static final byte HELLO = 1;
  public static final byte READY = 2;
  public static final byte FAILED = 3;
  public static final byte RESPONSES = 4;
  public static final byte HEALTH = 5;
  public static final byte LOG = 6;
  public static final byte REQUESTS = 16;

  public static final byte FLAG_STREAMING = 1;
  public static final byte FLAG_AUTHORIZE = 2;

  public static final byte KIND_FINAL = 0;
  public static final byte KIND_CHUNK = 1;
  public static final byte KIND_END = 2;

  /** Bytes of the length field plus the type byte. */
  public static final int FRAME_HEADER_BYTES = 5;

  /** Largest frame either side accepts (a request batch or one response). */
  public static final int MAX_FRAME_BYTES = 1 << 30;

  private Wire() {}
}
