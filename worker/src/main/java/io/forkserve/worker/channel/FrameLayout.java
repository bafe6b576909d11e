package io.forkserve.worker.channel;

/**
 * Byte layout of the frames between the front and one worker process: frame types, flags, and
 * offsets. Every frame is
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 length (int32, big-endian)                    |  bytes after this field
 *  +---------------+-----------------------------------------------+
 *  |     type      |  payload (length - 1 bytes) ...               |
 *  +---------------+-----------------------------------------------+
 *
 *  Payloads (all integers big-endian; "sized bytes" = int32 n | n bytes):
 *
 *  HELLO      | index int32 | pid int64 | credit int32 | flags byte | api class utf8 (rest) |
 *  READY      | setup nanos int64 |
 *  FAILED     | message utf8 (rest) |
 *  CREDIT     | n int32 |
 *  HEALTH     | healthy byte (0 or 1) |
 *  LOG        | key: sized bytes utf8 | value: utf8 JSON (rest) |
 *  RESPONSES  | count int32 | count x RESPONSE |
 *  RESPONSE   | id int64 | status int16 | kind byte | meta: sized | body: sized |  (19 + m + n)
 *  REQUESTS   | count int32 | count x REQUEST |
 *  REQUEST    | id int64 | headers: sized | meta: sized | parts: sized | body: sized |
 *             | trace: sized |                                                     (28 + ...)
 *  CANCEL     | id int64 |                        (front -> worker: the client of a stream left)
 *  STREAM_ACK | id int64 | bytes int32 |          (front -> worker: stream bytes sent to a client)
 *
 *  REQUEST headers: "method\0path\0name\0value\0..." (names in lower case), or empty.
 *  REQUEST meta:    "content type\0raw query string" utf8, or empty (neither).
 *  REQUEST parts:   empty, or count int32 | count x PART (a multipart upload parsed by the front)
 *  REQUEST trace:   empty, or 48 hex characters: a W3C trace id and span id.
 *  PART             | flags byte (PART_FILE) | name: sized | file name: sized |
 *                   | content type: sized | data: sized |                     (17 + ... bytes)
 *  RESPONSE meta:   empty (a JSON body), or "content type\0name\0value\0..." utf8.
 * </pre>
 *
 *  Encoding and decoding live in {@link Frames}; nothing else reads these offsets.
 */
public final class FrameLayout {
  public static final byte HELLO = 1;
  public static final byte READY = 2;
  public static final byte FAILED = 3;
  public static final byte RESPONSES = 4;
  public static final byte HEALTH = 5;
  public static final byte LOG = 6;
  public static final byte CREDIT = 7;
  public static final byte REQUESTS = 16;
  public static final byte CANCEL = 17;
  public static final byte STREAM_ACK = 18;

  /** HELLO flag: the worker streams its responses (CHUNK... END). */
  public static final byte FLAG_STREAMING = 1;

  /** HELLO flag: the worker wants the header block with each request. */
  public static final byte FLAG_AUTHORIZE = 2;

  /** HELLO flag: the API's default stream format is server-sent events (else NDJSON). */
  public static final byte FLAG_SSE = 4;

  /** HELLO flag: the API takes requests as they came (any content type, multipart parsed). */
  public static final byte FLAG_RAW = 8;

  /** PART flag: the part is a file (it has a file name). */
  public static final byte PART_FILE = 1;

  /** Smallest PART: flags and four empty sized blocks. */
  public static final int PART_MIN_BYTES = 1 + 4 * 4;

  /** RESPONSE kind: a whole body (JSON unless its meta says otherwise). */
  public static final byte KIND_FINAL = 0;

  /** RESPONSE kind: one streamed chunk. */
  public static final byte KIND_CHUNK = 1;

  /** RESPONSE kind: the end of a stream; the body is empty or an error. */
  public static final byte KIND_END = 2;

  public static final int LENGTH_OFFSET = 0;
  public static final int TYPE_OFFSET = 4;

  /** Bytes of the length field plus the type byte; the payload starts here. */
  public static final int FRAME_HEADER_BYTES = 5;

  // Offsets inside one RESPONSE entry; the id is at 0.
  public static final int RESPONSE_STATUS_OFFSET = 8;
  public static final int RESPONSE_KIND_OFFSET = 10;
  public static final int RESPONSE_META_OFFSET = 11;

  /** Smallest RESPONSE: id, status, kind, and empty sized meta and body. */
  public static final int RESPONSE_MIN_BYTES = RESPONSE_META_OFFSET + 4 + 4;

  /** Offset of the header block inside one REQUEST entry; the id is at 0. */
  public static final int REQUEST_HEADERS_OFFSET = 8;

  /** Smallest REQUEST: id and five empty sized blocks. */
  public static final int REQUEST_MIN_BYTES = REQUEST_HEADERS_OFFSET + 5 * 4;

  /** Payload of CANCEL. */
  public static final int CANCEL_BYTES = 8;

  /** Payload of STREAM_ACK. */
  public static final int STREAM_ACK_BYTES = 8 + 4;

  /** Bytes of the entry count that starts RESPONSES and REQUESTS. */
  public static final int COUNT_BYTES = 4;

  /** Fixed part of HELLO before the api class name. */
  public static final int HELLO_FIXED_BYTES = 4 + 8 + 4 + 1;

  /** Largest frame either side accepts (a request batch or one response). */
  public static final int MAX_FRAME_BYTES = 1 << 30;

  private FrameLayout() {}
}
