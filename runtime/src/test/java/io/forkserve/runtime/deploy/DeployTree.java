package io.forkserve.runtime.deploy;

import static org.junit.jupiter.api.Assertions.fail;

import io.forkserve.testsupport.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

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

  /**
   * Runs {@code command} in the repository root and waits for it; fails the test if it has not
   * exited within {@code limit} (a hang guard, not a performance bound).
   */
  static Processes.Result run(List<String> command, Duration limit) throws Exception {
    return run(root(), command, limit);
  }

  /** Runs {@code command} in {@code dir}, as {@link #run(List, Duration)}. */
  static Processes.Result run(Path dir, List<String> command, Duration limit) throws Exception {
    return Processes.exec(limit, dir, new byte[0], command);
  }
}
