package io.forkserve.worker.channel;

/**
 * Frame types and layouts of the channel between the front and one worker process. Shared by the
 * worker ({@code worker/}) and the front ({@code runtime/}); not user API.
 */
public final class Wire {
  /*
   * Protocol. Each worker opens one Unix domain stream socket to the front's socket file and
   * keeps it for its whole life. Both directions carry frames:
   *
   *   int32 length (big-endian, bytes after this field) | byte type | payload
   *
   * Worker -> front:
   *   HELLO     int32 index | int64 pid | int32 credit | byte flags | utf8 api class
   *             First frame. credit is how many requests the front may send before the worker
   *             grants more; flags: FLAG_STREAMING, FLAG_AUTHORIZE (send headers with requests).
   *   READY     int64 setup nanos: setup() returned; the worker takes requests from now on.
   *   FAILED    utf8 message: setup() threw; the worker exits after sending it.
   *   RESPONSES int32 count | count x (int64 id | int16 status | byte kind | int32 n | n bytes)
   *             kind KIND_FINAL is a whole JSON body; KIND_CHUNK one streamed chunk; KIND_END
   *             closes a stream (empty body).
   *   CREDIT    int32 n: the front may send n more requests.
   *   HEALTH    byte healthy (1/0): sent about once a second while the serving thread makes
   *             progress; the front's liveness heartbeat (silence past --worker-timeout: killed).
   *   LOG       int32 n | n bytes utf8 key | rest: utf8 JSON value, for the front's loggers.
   *
   * Front -> worker:
   *   REQUESTS  int32 count | count x (int64 id | int32 h | h bytes headers | int32 n | n bytes)
   *             Request bodies exactly as the client sent them (the front never parses them).
   *             headers is "name\0value\0..." (lower-case names), only when the worker set
   *             FLAG_AUTHORIZE, else h = 0.
   *
   * Flow control is pull-based: the front keeps one central queue and sends a worker only as
   * many requests as the worker has granted credit for. The worker grants credit after each
   * batch so that what it holds is about CREDIT_WINDOW_NANOS of its own measured work: many
   * requests for a fast model (so they travel many per syscall), one batch for a slow one (so
   * it pulls only when idle). Either way a busy or stuck worker never collects a backlog:
   * requests wait in the front's queue, where any free worker takes them. Under load both sides
   * pack many frames (and the front many requests per REQUESTS frame) into one write, so
   * syscalls are paid per batch, not per request. A front that goes away shows as EOF on the
   * socket; the worker then exits.
   */

  public static final byte HELLO = 1;
  public static final byte READY = 2;
  public static final byte FAILED = 3;
  public static final byte RESPONSES = 4;
  public static final byte HEALTH = 5;
  public static final byte LOG = 6;
  public static final byte CREDIT = 7;
  public static final byte REQUESTS = 16;

  public static final byte FLAG_STREAMING = 1;
  public static final byte FLAG_AUTHORIZE = 2;

  public static final byte KIND_FINAL = 0;
  public static final byte KIND_CHUNK = 1;
  public static final byte KIND_END = 2;

  /** How much work, in measured serving time, a worker asks to hold at once. */
  public static final long CREDIT_WINDOW_NANOS = 1_000_000;

  /** The most requests a worker holds at once, per unit of max batch size. */
  public static final int MAX_CREDIT_PER_BATCH_SLOT = 64;

  /** Bytes of the length field plus the type byte. */
  public static final int FRAME_HEADER_BYTES = 5;

  /** Largest frame either side accepts (a request batch or one response). */
  public static final int MAX_FRAME_BYTES = 1 << 30;

  private Wire() {}
}
