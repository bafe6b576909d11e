package io.forkserve.runtime.front;

import java.nio.charset.StandardCharsets;

/**
 * How a stream's chunks (each one JSON value from the worker) are framed on the wire: {@link
 * #NDJSON} or {@link #SSE} server-sent events. A front-side adapter (say an OpenAI-compatible
 * route) implements its own to reshape chunks or end with its own terminator.
 */
public interface StreamEncoding {
  /** The response's Content-Type. */
  String contentType();

  /** The bytes to write for one chunk {@code json}. */
  byte[] chunk(byte[] json);

  /**
   * The bytes that end the stream: {@code errorBody} (a JSON error) when it failed midway with
   * {@code status}, else null; empty for nothing.
   */
  byte[] end(int status, byte[] errorBody);

  /** One JSON value per line ({@code application/x-ndjson}); an error is the last line. */
  StreamEncoding NDJSON =
      new StreamEncoding() {
        @Override
        public String contentType() {
          return "application/x-ndjson";
        }

        @Override
        public byte[] chunk(byte[] json) {
          byte[] line = new byte[json.length + 1];
          System.arraycopy(json, 0, line, 0, json.length);
          line[json.length] = '\n';
          return line;
        }

        @Override
        public byte[] end(int status, byte[] errorBody) {
          return errorBody == null ? new byte[0] : chunk(errorBody);
        }

        @Override
        public String toString() {
          return "NDJSON";
        }
      };

  /**
   * Server-sent events ({@code text/event-stream}): each chunk is one {@code data:} event; an error
   * is an {@code event: error} whose data is the JSON error.
   */
  StreamEncoding SSE =
      new StreamEncoding() {
        @Override
        public String contentType() {
          return "text/event-stream";
        }

        @Override
        public byte[] chunk(byte[] json) {
          return event(null, json);
        }

        @Override
        public byte[] end(int status, byte[] errorBody) {
          return errorBody == null ? new byte[0] : event("error", errorBody);
        }

        @Override
        public String toString() {
          return "SSE";
        }
      };

  /**
   * One server-sent event: {@code event: name} (when not null) and one {@code data:} line per line
   * of {@code data}, then a blank line.
   */
  static byte[] event(String name, byte[] data) {
    if (name == null && oneLine(data)) {
      byte[] out = new byte[6 + data.length + 2];
      System.arraycopy(DATA, 0, out, 0, 6);
      System.arraycopy(data, 0, out, 6, data.length);
      out[out.length - 2] = '\n';
      out[out.length - 1] = '\n';
      return out;
    }
    StringBuilder text = new StringBuilder(data.length + 16);
    if (name != null) {
      text.append("event: ").append(name).append('\n');
    }
    String body = new String(data, StandardCharsets.UTF_8);
    for (String line : body.split("\r\n|\r|\n", -1)) {
      text.append("data: ").append(line).append('\n');
    }
    return text.append('\n').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** "data: " in ASCII. */
  byte[] DATA = {'d', 'a', 't', 'a', ':', ' '};

  private static boolean oneLine(byte[] data) {
    for (byte b : data) {
      if (b == '\n' || b == '\r') {
        return false;
      }
    }
    return true;
  }

  /**
   * The encoding a request asks for: SSE for an Accept header naming {@code text/event-stream},
   * NDJSON for one naming {@code application/x-ndjson}, else {@code apiDefault}.
   */
  static StreamEncoding forAccept(String accept, StreamEncoding apiDefault) {
    if (accept != null) {
      if (accept.contains("text/event-stream")) {
        return SSE;
      }
      if (accept.contains("application/x-ndjson")) {
        return NDJSON;
      }
    }
    return apiDefault;
  }
}
