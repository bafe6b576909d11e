package io.forkserve.metrics.directory;

/**
 * A multiprocess directory cannot be used. The message is one line that names the path and the fix,
 * meant to be printed as-is when startup stops.
 */
public final class MultiprocDirectoryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  MultiprocDirectoryException(String message) {
    super(message.replace('\n', ' '));
  }

  MultiprocDirectoryException(String message, Throwable cause) {
    super(message.replace('\n', ' '), cause);
  }
}
