package io.forkserve.runtime.cli;

/** A mistake of the user's, reported as one line and an exit code. */
final class CliException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int code;

  CliException(int code, String message) {
    super(message);
    this.code = code;
  }

  int code() {
    return code;
  }
}
