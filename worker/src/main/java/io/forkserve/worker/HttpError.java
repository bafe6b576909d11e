package io.forkserve.worker;

/**
 * Thrown by user code to answer the client with a given HTTP status and message. The worker
 * survives it and serves the next request.
 */
public class HttpError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;

  /** An error answered with {@code status} (400-599) and {@code message} as the JSON error. */
  public HttpError(int status, String message) {
    super(message);
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("HTTP error status must be 400-599, not " + status);
    }
    this.status = status;
  }

  /** The HTTP status sent to the client. */
  public int status() {
    return status;
  }
}
