package io.forkserve.runtime.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The repository's {@code deploy/} tree and the external tools the deploy tests run on it. */
final class DeployTree {
  private DeployTree() {}

  /** The repository root: the nearest directory at or above the working one holding deploy/. */
  static Path root() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy"))) {
        return dir;
      }
    }
    return fail("no deploy/ directory above " + Path.of("").toAbsolutePath());
  }

  static Path deploy(String relative) {
    return root().resolve("deploy").resolve(relative);
  }

  /** What a finished command printed (stdout and stderr together) and its exit code. */
  record Result(int exit, String output) {}

  /**
   * Runs {@code command} in the repository root and waits for it; fails the test if it has not
   * exited within {@code limit} (a hang guard, not a performance bound).
   */
  static Result run(List<String> command, Duration limit) throws IOException, InterruptedException {
    return run(root(), command, limit);
  }

  /** Runs {@code command} in {@code dir}, as {@link #run(List, Duration)}. */
  static Result run(Path dir, List<String> command, Duration limit)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("forkserve-deploy-", ".out");
    try {
      Process process =
          new ProcessBuilder(command)
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              .start();
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        fail(command + " did not exit within " + limit + ": " + Files.readString(out));
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
