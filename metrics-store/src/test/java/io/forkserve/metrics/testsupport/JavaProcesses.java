package io.forkserve.metrics.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Starts real JVMs on the test classpath and waits for them with a deadline. */
public final class JavaProcesses {
  private JavaProcesses() {}

  /** Starts {@code main} with {@code args}; stdout and stderr go to {@code log}. */
  public static Process start(Path log, Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-XX:TieredStopAtLevel=1");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Xshare:auto");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Waits for {@code p} to exit within {@code seconds}; returns its exit code. */
  public static int await(Process p, Path log, int seconds) throws Exception {
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("process did not exit in " + seconds + " s: " + read(log));
    }
    return p.exitValue();
  }

  /** The output a process wrote so far. */
  public static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }
}
