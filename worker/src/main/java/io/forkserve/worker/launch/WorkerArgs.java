package io.forkserve.worker.launch;

/**
 * The worker process's command line: its main class and the {@code key=value} keys the launcher
 * writes and {@code WorkerMain} reads. Every other pair on the line is a setting passed to {@code
 * WorkerContext#config()}.
 */
public final class WorkerArgs {
  /** The worker's main class, started with the launcher's class path. */
  public static final String MAIN_CLASS = "io.forkserve.worker.internal.WorkerMain";

  /** Path of the front's Unix domain socket the worker connects to. */
  public static final String SOCKET = "socket";

  /** The worker's slot index, from 0. */
  public static final String INDEX = "index";

  /** How many workers the server runs. */
  public static final String WORKERS = "workers";

  /** Class name of the user's {@code ServingApi}. */
  public static final String API = "api";

  /** Name of the API in the server's config, the {@code api} label of the worker's metrics. */
  public static final String API_NAME = "api-name";

  /** Jar holding the API class; empty: the class path. */
  public static final String JAR = "jar";

  /** The worker's device, {@code cpu} or {@code cuda:N}. */
  public static final String DEVICE = "device";

  /** Largest batch the worker is sent. */
  public static final String MAX_BATCH_SIZE = "max-batch-size";

  /** {@code false}: a failed setup prints no stack trace (the supervisor already saw one). */
  public static final String PRINT_SETUP_TRACE = "print-setup-trace";

  /** {@code false}: the worker writes no process and JVM metrics ({@code --jvm-metrics}). */
  public static final String JVM_METRICS = "jvm-metrics";

  /** {@code v1} or {@code v2} (default): the format of the worker's metric files. */
  public static final String METRICS_FORMAT = "metrics-format";

  private WorkerArgs() {}
}
