package io.forkserve.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The JVM options a worker starts with: the class-data archive bin/serve built for these jars (if
 * any), then --worker-jvm-opts, which come later so that they win.
 */
final class WorkerJvmOptions {
  /** System property bin/lib/launch.sh sets to the class-data archive it gave the front. */
  static final String CDS_ARCHIVE_PROPERTY = "forkserve.cds.archive";

  private static final long CHECK_SECONDS = 60;

  private WorkerJvmOptions() {}

  /** The options of a worker's command line, before its class path. */
  static List<String> of(Settings settings) {
    List<String> opts = new ArrayList<>();
    String archive = System.getProperty(CDS_ARCHIVE_PROPERTY);
    if (archive != null && !archive.isEmpty()) {
      // a missing or refused archive only turns sharing off (-Xshare:auto, the default); mapped
      // at the address it was built for, as the front maps it (bin/lib/launch.sh, forkserve_cds)
      opts.add("-XX:+UnlockDiagnosticVMOptions");
      opts.add("-XX:ArchiveRelocationMode=0");
      opts.add("-XX:SharedArchiveFile=" + archive);
    }
    opts.addAll(settings.workerJvmOpts);
    return opts;
  }

  /**
   * Null when {@code java} accepts {@code opts}, else the one line it gave for refusing them. Runs
   * {@code java OPTS -version} once, so that a wrong --worker-jvm-opts stops start-up with one
   * line instead of every worker printing the JVM's own three and exiting.
   */
  static String refusal(List<String> opts) {
    List<String> command = new ArrayList<>();
    command.add(Processes.javaCommand());
    command.addAll(opts);
    command.add("-version");
    Process process;
    try {
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return "cannot run java to check them: " + e.getMessage();
    }
    try (InputStream in = process.getInputStream()) {
      String output = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      if (!process.waitFor(CHECK_SECONDS, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return "java -version with them did not end within " + CHECK_SECONDS + " s";
      }
      return process.exitValue() == 0 ? null : firstCause(output);
    } catch (IOException e) {
      return "cannot run java to check them: " + e.getMessage();
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      return "interrupted while checking them";
    }
  }

  /** The JVM's own reason, without its generic "Error: Could not create..." lines. */
  private static String firstCause(String output) {
    for (String line : output.split("\n")) {
      String trimmed = line.strip();
      if (!trimmed.isEmpty() && !trimmed.startsWith("Error: ")) {
        return trimmed;
      }
    }
    return "java exited with an error";
  }
}
