package io.forkserve.runtime.dispatch;

import io.forkserve.worker.channel.Frames;

/**
 * Sends a job's outcome to its client. Each job calls exactly one of {@link #respond} or the
 * sequence {@link #chunk}... {@link #end}; calls come from the channel reader or timeout threads,
 * never two at once for one job.
 */
public interface Responder {
  /** A whole response: a JSON body with {@code status}; {@code retryAfter} adds Retry-After. */
  void respond(int status, byte[] body, boolean retryAfter);

  /**
   * A whole response with {@code meta}'s content type and headers. The default ignores them, for
   * responders that only speak JSON.
   */
  default void respond(int status, Frames.ResponseMeta meta, byte[] body) {
    respond(status, body, false);
  }

  /**
   * Called once, before the first chunk of a stream: {@code flow} takes the responder's reports
   * of bytes written and of a client gone.
   */
  default void streamFlow(StreamFlow flow) {}

  /** One streamed chunk; the first one commits status 200. */
  void chunk(byte[] body);

  /** The end of a stream; {@code errorBody} is non-null when the stream failed midway. */
  void end(int status, byte[] errorBody);
}
