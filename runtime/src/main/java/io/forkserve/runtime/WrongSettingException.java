package io.forkserve.runtime;

/**
 * A setting the server cannot start with, found after the flags parsed: a {@code --config} file
 * that cannot be read or holds a bad value, or JVM options that java refuses. {@code bin/serve}
 * exits with {@link Serve#EXIT_USAGE} for it, as for a bad flag.
 */
final class WrongSettingException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  WrongSettingException(String message) {
    super(message);
  }
}
