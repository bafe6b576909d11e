package io.forkserve.metrics.internal.archive;

/**
 * The JVM options lmdbjava (the metrics archive) needs on Java 17: {@code bin/serve} and
 * {@code bin/metrics} pass them; a JVM started by hand without them gets one clear line instead
 * of lmdbjava's stack trace. Not user API: the runtime checks it at start-up.
 */
public final class JvmOpens {
  /** The options, as written on a {@code java} command line. */
  public static final String OPTIONS =
      "--add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED";

  private JvmOpens() {}

  /** Null when this JVM has the options, else a one-line message saying what to add. */
  public static String missing() {
    Module java = Object.class.getModule();
    Module ours = JvmOpens.class.getModule();
    if (java.isOpen("java.nio", ours) && java.isOpen("sun.nio.ch", ours)) {
      return null;
    }
    return "this JVM lacks the options the LMDB metrics archive needs: add " + OPTIONS
        + " (bin/serve and bin/metrics pass them)";
  }
}
