package io.forkserve.runtime;

import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real {@code Serve} process started from the test class path, with its output captured; the
 * shared fixture of the process tests. The launching, the output and the waits are test-support's
 * {@link io.forkserve.testsupport.ServerProcess}; this adds Serve's command line.
 */
public final class ServerProcess extends io.forkserve.testsupport.ServerProcess {
  /** bin/serve's line of the front's default JVM options (read before FRONT_JVM_FLAGS). */
  private static final Pattern DEFAULT_OPTS =
      Pattern.compile("^forkserve_default_opts=\"([^\"]+)\"$");

  /**
   * The front's JVM flags: bin/serve's default {@code FORKSERVE_JVM_OPTS}, read from bin/serve so
   * the two cannot drift, so the tests run the front as users do (the serial collector, the C1
   * compiler only: no C2 compile threads in every server the suite starts); with bin/serve's
   * class-data archive when there is one ({@link ServerClassData}).
   */
  static final List<String> FRONT_JVM_FLAGS = binServeDefaultOpts();

  private ServerProcess(Launch launch) throws IOException {
    super(launch);
  }

  /**
   * Starts {@code Serve} with {@code args} (port 0 and drain delay 0 unless given: a test that
   * drains says so) and extra environment.
   */
  public static ServerProcess start(Map<String, String> env, String... args) throws IOException {
    return startUnder(List.of(), "127.0.0.1", env, args);
  }

  /**
   * As {@link #start(Map, String...)}, the command run under {@code prefix} (e.g. {@code ip netns
   * exec NAME}, which execs it: the process is the server's JVM) and reached on {@code host}.
   */
  static ServerProcess startUnder(
      List<String> prefix, String host, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>(prefix);
    ServerClassData.Sharing sharing = ServerClassData.get();
    List<String> flags = new ArrayList<>(sharing.jvmOptions());
    flags.addAll(FRONT_JVM_FLAGS);
    List<String> java = Processes.javaCommand(flags, Serve.class.getName(), args);
    if (!sharing.classPathPrefix().isEmpty()) {
      // bin/serve's class path first (the archive's), the test classes after it
      int cp = java.indexOf("-cp") + 1;
      java.set(cp, sharing.classPath(java.get(cp)));
    }
    command.addAll(java);
    if (!List.of(args).contains("--port")) {
      command.add("--port");
      command.add("0");
    }
    if (!List.of(args).contains("--drain-delay")) {
      command.add("--drain-delay");
      command.add("0");
    }
    return new ServerProcess(launch(command).env(env).host(host));
  }

  /** Runs {@code command} (e.g. {@code bin/serve ...}) with extra environment, output captured. */
  static ServerProcess run(List<String> command, Map<String, String> env) throws IOException {
    return new ServerProcess(launch(command).env(env));
  }

  /** The options of bin/serve's {@code forkserve_default_opts=} line; fails without one. */
  private static List<String> binServeDefaultOpts() {
    Path serve = Fixtures.projectRoot().resolve("bin/serve");
    try {
      for (String line : Files.readAllLines(serve, StandardCharsets.UTF_8)) {
        Matcher m = DEFAULT_OPTS.matcher(line);
        if (m.matches()) {
          return List.of(m.group(1).trim().split("\\s+"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(serve.toString(), e);
    }
    throw new AssertionError("no forkserve_default_opts=\"...\" line in " + serve);
  }

  static ServerProcess start(String... args) throws IOException {
    return start(Map.of(), args);
  }

  @Override
  public ServerProcess awaitListening() {
    super.awaitListening();
    return this;
  }

  @Override
  public ServerProcess awaitHealthy() {
    super.awaitHealthy();
    return this;
  }

  @Override
  public ServerProcess awaitReady() {
    super.awaitReady();
    return this;
  }
}
