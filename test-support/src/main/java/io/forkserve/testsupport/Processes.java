package io.forkserve.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The one process launcher of the tests: JVMs on the test class path (with the opens lmdbjava
 * needs, as bin/lib/launch.sh passes them) and external commands (python3, promtool, curl, kill,
 * a build), always waited for with a deadline so that a hung child fails the test instead of
 * hanging the build. Servers the tests talk to start through {@link ServerProcess}.
 */
public final class Processes {
  /** How long an external command may run on an idle machine before it counts as hung. */
  public static final Duration COMMAND_LIMIT = Duration.ofSeconds(120);

  /**
   * Flags of a helper JVM that lives a few seconds: the client compiler only, the serial
   * collector, no perf data file, class-data sharing when the JDK has its archive.
   */
  public static final List<String> QUICK_JVM =
      List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xshare:auto");

  /**
   * A pid no Linux process can have: the kernel's PID_MAX_LIMIT (2^22), above every possible
   * pid_max. For the files of a process that is gone, without starting and reaping one.
   */
  public static final long NO_SUCH_PID = 1L << 22;

  private Processes() {}

  /** A finished process. */
  public record Result(int exit, String stdout, String stderr) {
    /** Its stdout, then its stderr: for messages and for checks on either. */
    public String output() {
      return stdout + stderr;
    }
  }

  /**
   * The command line of a JVM running {@code mainClass} with {@code args} on this test's class
   * path: the same java, with the lmdbjava opens.
   */
  public static List<String> javaCommand(String mainClass, String... args) {
    return javaCommand(List.of(), mainClass, args);
  }

  /** As {@link #javaCommand(String, String...)}, with {@code jvmFlags} before the class path. */
  public static List<String> javaCommand(List<String> jvmFlags, String mainClass, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(List.of("--add-opens", "java.base/java.nio=ALL-UNNAMED"));
    cmd.addAll(List.of("--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED"));
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(List.of(args));
    return cmd;
  }

  /**
   * Starts a short-lived helper JVM running {@code main} with {@code args} (quick start-up flags);
   * stdout and stderr go to {@code log}.
   */
  public static Process startJava(Path log, Class<?> main, String... args) throws IOException {
    return start(log, javaCommand(QUICK_JVM, main.getName(), args));
  }

  /**
   * Starts {@code command} to run beside the test (a writer, a lock holder, HAProxy), its stdout
   * and stderr to {@code log}; wait for it with {@link #await} or {@link #awaitOutput}. Its stdin
   * is a pipe from this JVM, which closes when the test JVM exits (a helper can end on that).
   */
  public static Process start(Path log, List<String> command) throws IOException {
    return new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  /**
   * Waits for {@code p} to exit within {@code idleLimit} (stretched by the machine's measured
   * slowdown, see {@link Progress#stretched}); returns its exit code, or fails.
   */
  public static int await(Process p, Path log, Duration idleLimit) throws Exception {
    Duration limit = Progress.stretched(idleLimit);
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("process did not exit in " + limit + ": " + read(log));
    }
    return p.exitValue();
  }

  /**
   * Waits until the output {@code p} wrote to {@code log} satisfies {@code done}; fails when the
   * process exits first or after {@code idleLimit} stretched by the measured slowdown.
   */
  public static void awaitOutput(
      Process p, Path log, Predicate<String> done, Duration idleLimit, String what) {
    try {
      Progress.await(
          () -> done.test(readUnchecked(log)), p::isAlive, Progress.stretched(idleLimit), what);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; output: " + readUnchecked(log), e);
    }
  }

  private static String readUnchecked(Path log) {
    try {
      return read(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The output a process wrote to {@code log} so far. */
  public static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** Runs a command with {@code stdin}; returns stdout, or fails with its exit code and stderr. */
  public static String run(byte[] stdin, String... command) throws Exception {
    Result r = exec(stdin, command);
    if (r.exit() != 0) {
      throw new AssertionError(command[0] + " exited " + r.exit() + ": " + r.stderr() + r.stdout());
    }
    return r.stdout();
  }

  /**
   * Runs {@code command} in {@code dir} and returns its stdout, or fails with its exit code and
   * output; as {@link #exec(Duration, Path, byte[], List)}.
   */
  public static String run(Duration idleLimit, Path dir, List<String> command) throws Exception {
    Result r = exec(idleLimit, dir, new byte[0], command);
    if (r.exit() != 0) {
      throw new AssertionError(command + " exited " + r.exit() + ": " + r.output());
    }
    return r.stdout();
  }

  /**
   * Runs a command with {@code stdin} and waits for it (at most {@link #COMMAND_LIMIT}, stretched
   * by the machine's measured slowdown).
   */
  public static Result exec(byte[] stdin, String... command) throws Exception {
    return exec(COMMAND_LIMIT, null, stdin, List.of(command));
  }

  /** Runs {@code command} with an empty stdin; as {@link #exec(Duration, Path, byte[], List)}. */
  public static Result exec(Duration idleLimit, List<String> command) throws Exception {
    return exec(idleLimit, null, new byte[0], command);
  }

  /**
   * Runs {@code command} in {@code dir} (null: the working directory) with {@code stdin}, and
   * waits for it: at most {@code idleLimit}, a limit for an idle machine stretched by the
   * measured slowdown ({@link Progress#stretched}), after which it is killed and the test fails.
   */
  public static Result exec(Duration idleLimit, Path dir, byte[] stdin, List<String> command)
      throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command);
    if (dir != null) {
      builder.directory(dir.toFile());
    }
    Process p = builder.start();
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()), Processes::ownThread);
    CompletableFuture<byte[]> out =
        CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()), Processes::ownThread);
    CompletableFuture<Void> in =
        CompletableFuture.runAsync(
            () -> {
              try (OutputStream stream = p.getOutputStream()) {
                stream.write(stdin);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            Processes::ownThread);
    Duration limit = Progress.stretched(idleLimit);
    if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not exit in " + limit);
    }
    in.get();
    return new Result(
        p.exitValue(),
        new String(out.get(), StandardCharsets.UTF_8),
        new String(err.get(), StandardCharsets.UTF_8));
  }

  /**
   * Runs a blocking pipe copy on a daemon thread of its own: on the common pool, a few commands
   * at once (two test threads, each with stdin, stdout and stderr) could take every worker and
   * wait on each other.
   */
  private static void ownThread(Runnable task) {
    Thread thread = new Thread(task, "forkserve-test-pipe");
    thread.setDaemon(true);
    thread.start();
  }

  private static byte[] readAll(InputStream in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
