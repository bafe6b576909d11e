package io.forkserve.runtime.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Positional arguments and {@code --flag [value]} options of one command. */
final class Args {
  private final List<String> positional;
  private final Map<String, String> options;

  private Args(List<String> positional, Map<String, String> options) {
    this.positional = positional;
    this.options = options;
  }

  /** Parses {@code args}; {@code known} options take a value, except {@code --json}. */
  static Args parse(List<String> args, List<String> known) throws CliException {
    List<String> positional = new ArrayList<>();
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        positional.add(a);
        continue;
      }
      String name = a;
      String value = null;
      int eq = a.indexOf('=');
      if (eq > 0) {
        name = a.substring(0, eq);
        value = a.substring(eq + 1);
      }
      if (!known.contains(name)) {
        throw new CliException(MetricsCli.USAGE, "unknown option " + name);
      }
      if (name.equals("--json")) {
        value = "true";
      } else if (value == null) {
        if (i + 1 >= args.size()) {
          throw new CliException(MetricsCli.USAGE, name + " needs a value");
        }
        value = args.get(++i);
      }
      options.put(name, value);
    }
    return new Args(positional, options);
  }

  /** The only positional argument, named {@code what} in errors. */
  String single(String what) throws CliException {
    if (positional.size() != 1) {
      throw new CliException(MetricsCli.USAGE, "expected one " + what + ", got " + positional);
    }
    return positional.get(0);
  }

  /** The directory argument, which must exist and be a directory. */
  Path directory() throws CliException {
    Path dir = Path.of(single("DIR"));
    if (!Files.exists(dir)) {
      throw new CliException(MetricsCli.BAD_PATH, dir + ": no such directory");
    }
    if (!Files.isDirectory(dir)) {
      throw new CliException(MetricsCli.BAD_PATH, dir + ": not a directory");
    }
    if (!Files.isReadable(dir)) {
      throw new CliException(MetricsCli.BAD_PATH, dir + ": not readable");
    }
    return dir;
  }

  String option(String name, String fallback) {
    return options.getOrDefault(name, fallback);
  }

  boolean flag(String name) {
    return options.containsKey(name);
  }
}
