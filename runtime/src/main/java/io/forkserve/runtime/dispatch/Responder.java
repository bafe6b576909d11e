package io.forkserve.runtime.dispatch;

/**
 * Sends a job's outcome to its client. Each job calls exactly one of {@link #respond} or the
 * sequence {@link #chunk}... {@link #end}; calls come from the channel reader or timeout threads,
 * never two at once for one job.
 */
public interface Responder {
  /** A whole response: a JSON body with {@code status}; {@code retryAfter} adds Retry-After. */
  void respond(int status, byte[] body, boolean retryAfter);

  /** One streamed chunk; the first one commits status 200. */
  void chunk(byte[] body);

  /** The end of a stream; {@code errorBody} is non-null when the stream failed midway. */
  void end(int status, byte[] errorBody);
}
