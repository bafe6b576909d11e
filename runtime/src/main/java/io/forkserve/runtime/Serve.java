package io.forkserve.runtime;

import io.forkserve.metrics.internal.archive.JvmOpens;
import io.forkserve.runtime.internal.Clock;
import java.util.Arrays;

/** {@code bin/serve}: parses flags, starts a {@link Supervisor} and serves until killed. */
public final class Serve {
  /** A wrong setting: a flag, variable, config value or JVM option (as bin/lib/launch.sh). */
  static final int EXIT_USAGE = 2;

  /** Start-up failed otherwise: the port, the metrics directory, the API class, a worker. */
  static final int EXIT_STARTUP = 1;

  private Serve() {}

  /** Entry point; a wrong setting prints one line on stderr and exits non-zero. */
  public static void main(String[] args) {
    if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
      System.out.print(Settings.usage());
      return;
    }
    String opens = JvmOpens.missing();
    if (opens != null) {
      System.err.println("forkserve: " + opens);
      System.exit(EXIT_STARTUP);
      return;
    }
    Settings settings;
    try {
      settings = Settings.parse(args, System.getenv());
    } catch (IllegalArgumentException e) {
      System.err.println("forkserve: " + e.getMessage());
      System.exit(EXIT_USAGE);
      return;
    }
    settings.warnings.forEach(w -> System.err.println("forkserve: warning: " + w));
    Supervisor supervisor = new Supervisor(settings, Clock.SYSTEM, System.out, System.err);
    Runtime.getRuntime().addShutdownHook(new Thread(supervisor::stop, "forkserve-stop"));
    for (String refused : Signals.install(supervisor, System.err)) {
      System.out.println("forkserve: not handling SIG" + refused + "; it keeps its usual effect");
    }
    try {
      supervisor.start();
    } catch (WrongSettingException e) {
      System.err.println("forkserve: " + e.getMessage());
      System.exit(EXIT_USAGE);
    } catch (IllegalArgumentException | IllegalStateException e) {
      System.err.println("forkserve: " + e.getMessage());
      System.exit(EXIT_STARTUP);
    } catch (InterruptedException e) {
      System.exit(EXIT_STARTUP);
    }
  }
}
