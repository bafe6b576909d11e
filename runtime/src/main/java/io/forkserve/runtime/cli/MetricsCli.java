package io.forkserve.runtime.cli;

import io.forkserve.metrics.internal.archive.JvmOpens;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code bin/metrics}: inspect, dump, merge and serve prometheus_client multiprocess files.
 *
 * <p>Exit codes: 0 success, 1 a path that cannot be used (missing, not a directory, not a metric
 * file), 2 a usage mistake, 3 the server could not start (port in use), 4 the JVM was started without the {@code --add-opens}
 * options the archive needs (only when run without {@code bin/metrics}).
 */
public final class MetricsCli {
  static final int OK = 0;
  static final int BAD_PATH = 1;
  static final int USAGE = 2;
  static final int CANNOT_SERVE = 3;
  static final int JVM_OPTIONS = 4;

  static final String USAGE_TEXT =
      """
      usage: bin/metrics COMMAND ...
        inspect DIR                      one row per file: kind, pid, format, used, entries, ...
        dump FILE [--json]               every entry of one metric file
        merge DIR [--format text|openmetrics]
                                         the merged exposition on stdout
        serve DIR [--port N] [--host H]  a /metrics endpoint for DIR (read only; default
                                         127.0.0.1:9464)
      """;

  private MetricsCli() {}

  /** Entry point; exits with one of the codes above. */
  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != OK || !isServe(args)) {
      System.exit(code);
    }
  }

  private static boolean isServe(String[] args) {
    return args.length > 0 && args[0].equals("serve");
  }

  /** Runs one command; {@code serve} returns once the server is listening. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
      (args.length == 0 ? err : out).print(USAGE_TEXT);
      return args.length == 0 ? USAGE : OK;
    }
    String opens = JvmOpens.missing();
    if (opens != null) {
      err.println("bin/metrics: " + opens);
      return JVM_OPTIONS;
    }
    List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
    try {
      switch (args[0]) {
        case "inspect":
          return InspectCommand.run(Args.parse(rest, List.of()), out);
        case "dump":
          return DumpCommand.run(Args.parse(rest, List.of("--json")), out);
        case "merge":
          return MergeCommand.run(Args.parse(rest, List.of("--format")), out);
        case "serve":
          return ServeCommand.run(Args.parse(rest, List.of("--port", "--host")), out);
        default:
          throw new CliException(USAGE, "unknown command '" + args[0] + "'");
      }
    } catch (CliException e) {
      err.println("bin/metrics: " + e.getMessage());
      if (e.code() == USAGE) {
        err.print(USAGE_TEXT);
      }
      return e.code();
    }
  }
}
