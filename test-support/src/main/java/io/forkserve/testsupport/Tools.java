package io.forkserve.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The external tools some tests compare against (Debian packages bin/test installs). A test calls
 * {@link #require} first: a missing tool skips the test when run by hand, and fails it when
 * {@code FORKSERVE_REQUIRE_TOOLS=1} (set by bin/test), so a full run never passes by skipping.
 */
public final class Tools {
  /** Debian's interpreter, which has python3-prometheus-client (a pyenv one may not). */
  public static final String PYTHON = "/usr/bin/python3";

  /** The environment variable that turns a missing tool into a failure. */
  public static final String REQUIRE_ENV = "FORKSERVE_REQUIRE_TOOLS";

  /** Tool name to the Debian package that provides it. */
  private static final Map<String, String> PACKAGES =
      Map.of(
          "python3-prometheus-client", "python3-prometheus-client",
          "promtool", "prometheus",
          "prometheus", "prometheus",
          "wrk", "wrk",
          "mdb_dump", "lmdb-utils",
          "haproxy", "haproxy",
          "node", "nodejs",
          "curl", "curl");

  private Tools() {}

  /**
   * The path of {@code tool} (one of python3-prometheus-client, promtool, prometheus, wrk,
   * mdb_dump, haproxy, node, curl); when it is missing, {@link #unavailable}.
   */
  public static Path require(String tool) {
    String pkg = PACKAGES.get(tool);
    if (pkg == null) {
      throw new IllegalArgumentException("unknown tool " + tool);
    }
    Path path = locate(tool);
    if (path == null) {
      unavailable(tool + " is missing (Debian package " + pkg + "; bin/test installs it)");
    }
    return path;
  }

  /**
   * Ends the calling test for want of something this machine lacks ({@code why}): skipped when run
   * by hand, failed under bin/test ({@code FORKSERVE_REQUIRE_TOOLS=1}). The one home of that rule.
   */
  public static void unavailable(String why) {
    if ("1".equals(System.getenv(REQUIRE_ENV))) {
      Assertions.fail(why + " and " + REQUIRE_ENV + "=1");
    }
    Assumptions.abort(why);
  }

  private static Path locate(String tool) {
    switch (tool) {
      case "python3-prometheus-client":
        return pythonHasClient() ? Path.of(PYTHON) : null;
      case "wrk":
        return onPath("wrk");
      case "haproxy":
        Path sbin = Path.of("/usr/sbin/haproxy");
        return Files.isExecutable(sbin) ? sbin : null;
      default:
        Path p = Path.of("/usr/bin", tool);
        return Files.isExecutable(p) ? p : null;
    }
  }

  private static boolean pythonHasClient() {
    if (!Files.isExecutable(Path.of(PYTHON))) {
      return false;
    }
    try {
      List<String> check = List.of(PYTHON, "-c", "import prometheus_client");
      return Processes.exec(Duration.ofSeconds(60), check).exit() == 0;
    } catch (IOException e) {
      return false;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Path onPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
        return Path.of(dir, name);
      }
    }
    return null;
  }
}
