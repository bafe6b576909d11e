package io.forkserve.worker.channel;

import java.io.IOException;

/**
 * A frame that breaks {@link FrameLayout}: bad length, unknown type, truncated or trailing bytes,
 * values out of range. The channel it came from cannot be trusted any more and is closed.
 */
public final class FrameException extends IOException {
  private static final long serialVersionUID = 1L;

  /** A malformed frame described by {@code message}. */
  public FrameException(String message) {
    super(message);
  }
}
