package io.forkserve.runtime;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.worker.launch.WorkerArgs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/** Starts workers as JVM processes of the same runtime and class path as the supervisor. */
final class ProcessLauncher implements WorkerLauncher {
  /*
   * Command line. java, WorkerJvmOptions (the class-data archive, then --worker-jvm-opts), -cp
   * of this JVM, the worker main class, then
   * key=value pairs: the visible settings (secrets never leave the supervisor) and the keys of
   * WorkerArgs, which WorkerMain reads by the same constants.
   *
   * Environment. The worker inherits ours without the variables of Settings.SECRETS (a worker
   * runs user code, and its environ is readable by that code and its children), plus the metrics
   * directory (so its registry writes where the front merges) and, for a cuda:N device,
   * CUDA_VISIBLE_DEVICES=N. Output is inherited, so a worker's stack trace reaches the user's
   * terminal.
   *
   * Ending. killTree takes the descendants first, then SIGKILLs them and the worker; stopAll
   * sends SIGTERM, waits, then kills the tree as it was before the SIGTERM (a worker's children
   * may be reparented once it dies).
   */

  private final Settings settings;
  private final String apiClass;
  private final String apiName;
  private final Path socket;
  private final Path metricsDir;

  ProcessLauncher(Settings settings, String apiClass, Path socket, Path metricsDir) {
    this(settings, apiClass, ServeConfig.DEFAULT_NAME, socket, metricsDir);
  }

  ProcessLauncher(
      Settings settings, String apiClass, String apiName, Path socket, Path metricsDir) {
    this.settings = settings;
    this.apiClass = apiClass;
    this.apiName = apiName;
    this.socket = socket;
    this.metricsDir = metricsDir;
  }

  @Override
  public Handle start(int index, String device, int workers, boolean printSetupTrace)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command(index, device, workers, printSetupTrace));
    builder.inheritIO();
    for (String secret : Settings.SECRETS) {
      builder.environment().remove(Settings.envName(secret));
    }
    builder.environment().put(MetricsRegistry.ENV, metricsDir.toString());
    if (device.startsWith("cuda:")) {
      builder.environment().put("CUDA_VISIBLE_DEVICES", device.substring(5));
    }
    return new Child(builder.start());
  }

  List<String> command(int index, String device, int workers, boolean printSetupTrace) {
    List<String> command = new ArrayList<>();
    command.add(Processes.javaCommand());
    command.addAll(WorkerJvmOptions.of(settings));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(WorkerArgs.MAIN_CLASS);
    Map<String, String> args = new LinkedHashMap<>(settings.visible());
    Settings.SECRETS.forEach(args::remove);
    args.remove("config");
    args.put(WorkerArgs.SOCKET, socket.toString());
    args.put(WorkerArgs.INDEX, Integer.toString(index));
    args.put(WorkerArgs.WORKERS, Integer.toString(workers));
    args.put(WorkerArgs.API, apiClass);
    args.put(WorkerArgs.API_NAME, apiName);
    args.put(WorkerArgs.JAR, settings.jar == null ? "" : settings.jar);
    args.put(WorkerArgs.DEVICE, device);
    args.put(WorkerArgs.PRINT_SETUP_TRACE, Boolean.toString(printSetupTrace));
    args.forEach((k, v) -> command.add(k + "=" + v));
    return command;
  }

  @Override
  public void stopAll(List<Handle> handles) {
    List<ProcessHandle> descendants = new ArrayList<>();
    for (Handle handle : handles) {
      ((Child) handle).process.descendants().forEach(descendants::add);
    }
    for (Handle handle : handles) {
      ((Child) handle).process.destroy();
    }
    for (Handle handle : handles) {
      Processes.awaitOrKill(((Child) handle).process, descendants);
    }
  }

  /** A worker started by this launcher. */
  private static final class Child implements Handle {
    final Process process;

    Child(Process process) {
      this.process = process;
    }

    @Override
    public long pid() {
      return process.pid();
    }

    @Override
    public void onExit(IntConsumer onExit) {
      process.onExit().thenAccept(p -> onExit.accept(p.exitValue()));
    }

    @Override
    public void killTree() {
      Processes.killTree(process);
    }

    @Override
    public long residentBytes() {
      return Processes.residentBytes(process.pid());
    }
  }
}
