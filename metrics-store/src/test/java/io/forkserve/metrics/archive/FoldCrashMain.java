package io.forkserve.metrics.archive;

import java.nio.file.Path;

/** Folds pid {@code args[1]} of {@code args[0]} and halts the JVM right after the commit. */
public final class FoldCrashMain {
  static final int HALTED = 77;

  private FoldCrashMain() {}

  /** Args: DIR PID. */
  public static void main(String[] args) {
    MetricsArchive archive = MetricsArchive.open(Path.of(args[0]));
    archive.faultHook(stage -> {
      if (stage == MetricsArchive.Stage.AFTER_COMMIT) {
        Runtime.getRuntime().halt(HALTED);
      }
    });
    archive.fold(Long.parseLong(args[1]));
    System.exit(1); // not reached when the hook runs
  }
}
