package io.forkserve.worker;

/**
 * Thrown by a stream's emit when the client has gone (it disconnected, or the front cancelled the
 * stream): {@link ServingApi#predictStream} should stop generating. Let it propagate (the worker
 * counts it as a cancelled stream, not an error) or catch it to clean up first.
 */
public final class StreamCancelledException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StreamCancelledException(String message) {
    super(message, null, false, false);
  }
}
