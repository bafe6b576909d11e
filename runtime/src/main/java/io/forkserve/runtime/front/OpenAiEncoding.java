package io.forkserve.runtime.front;

import java.nio.charset.StandardCharsets;

/**
 * The wire formats of an OpenAI-compatible answer, on the one stream path every API uses: {@link
 * #EVENTS} for {@code "stream": true} (server-sent events ending in {@code data: [DONE]}) and
 * {@link #WHOLE} for a whole completion, which the worker sends as the stream's only chunk.
 */
final class OpenAiEncoding {
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private OpenAiEncoding() {}

  /**
   * Each chunk one {@code data:} event; the end {@code data: [DONE]}, or, after a failure midway,
   * a {@code data:} event with the OpenAI-shaped error (as OpenAI's clients read it).
   */
  static final StreamEncoding EVENTS =
      new StreamEncoding() {
        @Override
        public String contentType() {
          return "text/event-stream";
        }

        @Override
        public byte[] chunk(byte[] json) {
          return StreamEncoding.event(null, json);
        }

        @Override
        public byte[] end(int status, byte[] errorBody) {
          return errorBody == null
              ? DONE
              : StreamEncoding.event(null, OpenAiErrors.reshape(status, errorBody));
        }

        @Override
        public String toString() {
          return "OpenAI SSE";
        }
      };

  /** The one chunk as a JSON body; nothing after it (an error comes before it, as a status). */
  static final StreamEncoding WHOLE =
      new StreamEncoding() {
        @Override
        public String contentType() {
          return ExchangeResponder.JSON;
        }

        @Override
        public byte[] chunk(byte[] json) {
          return json;
        }

        @Override
        public byte[] end(int status, byte[] errorBody) {
          return new byte[0];
        }

        @Override
        public String toString() {
          return "OpenAI JSON";
        }
      };
}
