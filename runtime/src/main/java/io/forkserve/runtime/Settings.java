package io.forkserve.runtime;

import io.forkserve.metrics.file.FormatVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings of {@code bin/serve}, from flags and, for flags not given, from environment
 * variables {@code FORKSERVE_<FLAG>} ({@code --max-batch-size} reads {@code
 * FORKSERVE_MAX_BATCH_SIZE}). Immutable once parsed.
 */
public final class Settings {
  /** Flags with their defaults, in help order; null means "no default". */
  static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static final Map<String, String> HELP = new LinkedHashMap<>();

  static {
    flag("api", null, "ServingApi class to serve (default: the built-in echo API)");
    flag("jar", null, "jar holding the API class and its dependencies");
    flag("workers", "1", "number of worker processes");
    flag("host", "127.0.0.1", "address to listen on (0.0.0.0 for every interface)");
    flag("port", "8000", "HTTP port");
    flag("api-path", "/predict", "path of the POST prediction route");
    flag("max-batch-size", "1", "largest batch given to one predict call");
    flag("batch-timeout", "5ms", "longest wait to fill a batch (250ms, 5s; bare number = ms)");
    flag("timeout", "30s", "end-to-end request timeout, answered 504");
    flag("max-payload", "10MB", "largest request body (10MB, 512KB; bare number = bytes)");
    flag("max-file-size", "0", "largest file in a multipart upload (0: --max-payload)");
    flag("max-queue", "1024", "requests waiting for a worker before 503 + Retry-After");
    flag("devices", "cpu", "devices for workers, round-robin: cpu, or cuda:0,cuda:1 (or 0,1)");
    // docs/operations.md, "Memory and start-up", says why these
    flag(
        "worker-jvm-opts",
        "-XX:+UseSerialGC -XX:-UsePerfData -Xms8m -XX:TieredStopAtLevel=1",
        "JVM options of workers");
    flag("api-key", null, "key clients must send in X-API-Key; prefer the env or --api-key-file");
    flag("api-key-file", null, "file holding the API key (one line; not shown in ps)");
    flag("worker-timeout", "60s", "a worker silent (no heartbeat) this long is killed, replaced");
    flag("worker-start-timeout", "5m", "a worker not ready this long after its start is killed");
    flag("graceful-timeout", "30s", "on SIGTERM/SIGINT, longest wait for in-flight requests");
    flag("drain-delay", "5s", "on SIGTERM/SIGINT, serve this long not-ready before stopping");
    flag("min-ready-workers", "1", "ready workers /health/ready needs to answer 200");
    flag("max-requests", "0", "recycle a worker after this many requests (0: never)");
    flag("max-requests-jitter", "0", "add 0..N to --max-requests per worker, spreading recycles");
    flag("max-worker-rss", "0", "recycle a worker whose resident memory is above (0: never)");
    flag("restart-backoff", "500ms", "first delay before restarting a crashed worker");
    flag("restart-backoff-max", "30s", "cap of the doubling restart delay");
    flag("crash-loop-restarts", "5", "failed starts within --crash-loop-window = crash loop");
    flag("crash-loop-window", "60s", "window in which failed starts are counted");
    flag("admin-token", null, "token of the localhost admin endpoint (default: endpoint off)");
    flag("config", null, "YAML or JSON file listing several APIs (see docs/serving.md)");
    flag("jvm-metrics", "true", "process and JVM metrics of front and workers (--no-jvm-metrics)");
    flag("metrics-format", "v2", "metric file format: v2 (prometheus_client 0.18+) or v1 (0.16)");
    // What one client may hold of the front (docs/security.md).
    flag("request-parse-timeout", "10s", "a request's line and headers must arrive within this");
    flag("no-request-timeout", "60s", "close a connection with no request in progress after");
    flag("idle-timeout", "60s", "close a connection that reads and writes nothing for this long");
    flag("max-connections", "1000", "open HTTP connections; more wait in the listen backlog");
  }

  /**
   * Flags that describe one API; in a config file they are keys of each API entry, and on the
   * command line they apply only when the file lists one API (see {@link ServeConfig}).
   */
  static final List<String> PER_API =
      List.of(
          "api",
          "jar",
          "workers",
          "api-path",
          "max-batch-size",
          "batch-timeout",
          "timeout",
          "max-payload",
          "max-file-size",
          "max-queue",
          "devices");

  private static void flag(String name, String defaultValue, String help) {
    DEFAULTS.put(name, defaultValue);
    HELP.put(name, help);
  }

  final String api;
  final String jar;
  final int workers;
  final String host;
  final int port;
  final String apiPath;
  final int maxBatchSize;

  /** Largest file of a multipart upload, at most the whole body's limit. */
  final long maxFileBytes;
  final long batchTimeoutNanos;
  final long timeoutNanos;
  final long maxPayloadBytes;
  final int maxQueue;
  final List<String> devices;
  final List<String> workerJvmOpts;
  final String apiKey;
  final long workerTimeoutNanos;
  final long workerStartTimeoutNanos;
  final long gracefulTimeoutNanos;
  final long drainDelayNanos;
  final int minReadyWorkers;
  final long maxRequests;
  final long maxRequestsJitter;
  final long maxWorkerRssBytes;
  final long restartBackoffNanos;
  final long restartBackoffMaxNanos;
  final int crashLoopRestarts;
  final long crashLoopWindowNanos;
  final String adminToken;
  final boolean jvmMetrics;
  final FormatVersion metricsFormat;
  final String config;

  /** Flags given on the command line (not from the environment or defaults). */
  final Set<String> given;

  final long requestParseTimeoutNanos;
  final long noRequestTimeoutNanos;
  final long idleTimeoutNanos;
  final int maxConnections;

  /** Lines to print once at start-up (a secret given on the command line). */
  final List<String> warnings = new ArrayList<>();

  private final Map<String, String> raw;

  private Settings(Map<String, String> raw, Set<String> given) {
    this.raw = raw;
    this.given = Set.copyOf(given);
    api = raw.get("api");
    jar = raw.get("jar");
    workers = intIn(raw, "workers", 1, 1024);
    host = raw.get("host");
    port = intIn(raw, "port", 0, 65535);
    apiPath = raw.get("api-path");
    if (!apiPath.startsWith("/")) {
      throw new IllegalArgumentException("--api-path must start with /, not " + apiPath);
    }
    maxBatchSize = intIn(raw, "max-batch-size", 1, 65536);
    batchTimeoutNanos = duration(raw, "batch-timeout");
    timeoutNanos = duration(raw, "timeout");
    if (timeoutNanos <= 0) {
      throw new IllegalArgumentException("--timeout must be above 0");
    }
    maxPayloadBytes = size(raw, "max-payload");
    long maxFile = parseSize("max-file-size", raw.get("max-file-size"));
    maxFileBytes = maxFile <= 0 ? maxPayloadBytes : Math.min(maxFile, maxPayloadBytes);
    maxQueue = intIn(raw, "max-queue", 1, 1 << 24);
    devices = devices(raw.get("devices"));
    workerJvmOpts = splitOpts(raw.get("worker-jvm-opts"));
    apiKey = apiKey(raw);
    workerTimeoutNanos = positive(raw, "worker-timeout");
    workerStartTimeoutNanos = positive(raw, "worker-start-timeout");
    gracefulTimeoutNanos = duration(raw, "graceful-timeout");
    drainDelayNanos = duration(raw, "drain-delay");
    minReadyWorkers = intIn(raw, "min-ready-workers", 1, 1024);
    if (minReadyWorkers > workers) {
      throw new IllegalArgumentException(
          "--min-ready-workers (" + minReadyWorkers + ") is above --workers (" + workers + ")");
    }
    maxRequests = intIn(raw, "max-requests", 0, Integer.MAX_VALUE);
    maxRequestsJitter = intIn(raw, "max-requests-jitter", 0, Integer.MAX_VALUE);
    maxWorkerRssBytes = parseSize("max-worker-rss", raw.get("max-worker-rss"));
    restartBackoffNanos = positive(raw, "restart-backoff");
    restartBackoffMaxNanos = Math.max(restartBackoffNanos, duration(raw, "restart-backoff-max"));
    crashLoopRestarts = intIn(raw, "crash-loop-restarts", 1, 1000);
    crashLoopWindowNanos = positive(raw, "crash-loop-window");
    adminToken = raw.get("admin-token");
    config = raw.get("config");
    jvmMetrics = bool(raw, "jvm-metrics");
    metricsFormat = metricsFormat(raw);
    requestParseTimeoutNanos = positive(raw, "request-parse-timeout");
    noRequestTimeoutNanos = positive(raw, "no-request-timeout");
    idleTimeoutNanos = positive(raw, "idle-timeout");
    maxConnections = intIn(raw, "max-connections", 1, 1 << 20);
  }

  /**
   * These settings with {@code values} put over them (flag name to text), keeping what was given on
   * the command line; IllegalArgumentException with one line for a wrong value.
   */
  Settings with(Map<String, String> values) {
    Map<String, String> merged = new LinkedHashMap<>(raw);
    merged.putAll(values);
    return new Settings(merged, given);
  }

  private static FormatVersion metricsFormat(Map<String, String> raw) {
    try {
      FormatVersion format = FormatVersion.fromToken(raw.get("metrics-format"));
      raw.put("metrics-format", format.token());
      return format;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--metrics-format must be v1 or v2, not " + raw.get("metrics-format"));
    }
  }

  private static boolean bool(Map<String, String> raw, String flag) {
    String value = raw.get(flag).trim().toLowerCase(Locale.ROOT);
    if (!value.equals("true") && !value.equals("false")) {
      throw new IllegalArgumentException(
          "--" + flag + " must be true or false, not " + raw.get(flag));
    }
    raw.put(flag, value);
    return value.equals("true");
  }

  private static long positive(Map<String, String> raw, String flag) {
    long nanos = duration(raw, flag);
    if (nanos <= 0) {
      throw new IllegalArgumentException("--" + flag + " must be above 0");
    }
    return nanos;
  }

  /**
   * The API key from --api-key (or FORKSERVE_API_KEY) or from the file of --api-key-file: null
   * when neither is set; an empty key or both sources set is a wrong setting.
   */
  private static String apiKey(Map<String, String> raw) {
    String key = raw.get("api-key");
    String file = raw.get("api-key-file");
    if (key != null && file != null) {
      throw new IllegalArgumentException(
          "give the API key once: --api-key (FORKSERVE_API_KEY) or --api-key-file, not both");
    }
    if (file != null) {
      try {
        key = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("--api-key-file " + file + " cannot be read: " + e);
      }
      if (key.isEmpty()) {
        throw new IllegalArgumentException("--api-key-file " + file + " is empty");
      }
    }
    if (key != null && key.isBlank()) {
      throw new IllegalArgumentException(
          "the API key (--api-key or FORKSERVE_API_KEY) is empty: unset it to serve without a"
              + " key, or give one");
    }
    return key;
  }

  /** Parses {@code args} over {@code env}; throws IllegalArgumentException with one line. */
  public static Settings parse(String[] args, Map<String, String> env) {
    Map<String, String> raw = new LinkedHashMap<>();
    Set<String> given = new HashSet<>();
    List<String> onCommandLine = new ArrayList<>();
    for (Map.Entry<String, String> flag : DEFAULTS.entrySet()) {
      String fromEnv = env.get(envName(flag.getKey()));
      raw.put(flag.getKey(), fromEnv != null ? fromEnv : flag.getValue());
    }
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + arg + " (see --help)");
      }
      String name = arg.substring(2);
      if (name.startsWith("no-") && NEGATABLE.contains(name.substring(3))) {
        raw.put(name.substring(3), "false");
        continue;
      }
      String value;
      int eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.substring(eq + 1);
        name = name.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("flag --" + name + " needs a value");
      }
      if (!DEFAULTS.containsKey(name)) {
        throw new IllegalArgumentException("unknown flag --" + name + " (see --help)");
      }
      raw.put(name, value);
      given.add(name);
      if (SECRETS.contains(name) && !name.equals("api-key-file")) {
        onCommandLine.add(name);
      }
    }
    Settings settings = new Settings(raw, given);
    for (String name : onCommandLine) {
      settings.warnings.add(
          "--"
              + name
              + " on the command line is visible to every user in ps and /proc: set "
              + envName(name)
              + (name.equals("api-key") ? " or use --api-key-file" : "")
              + " instead");
    }
    return settings;
  }

  /** Boolean flags that {@code --no-FLAG} sets to false. */
  static final List<String> NEGATABLE = List.of("jvm-metrics");

  /** The environment variable read for {@code flag}. */
  static String envName(String flag) {
    return "FORKSERVE_" + flag.toUpperCase(Locale.ROOT).replace('-', '_');
  }

  /** The usage text of {@code bin/serve}. */
  static String usage() {
    StringBuilder out = new StringBuilder("usage: bin/serve [--flag value]...\n");
    for (Map.Entry<String, String> flag : HELP.entrySet()) {
      String def = DEFAULTS.get(flag.getKey());
      out.append(
          String.format(
              Locale.ROOT,
              "  --%-20s %s%s%n  %22s env %s%n",
              flag.getKey(),
              flag.getValue(),
              def == null ? "" : " [" + def + "]",
              "",
              envName(flag.getKey())));
    }
    out.append("Also read: METRICS_MULTIPROC_DIR (metrics directory; default: a private one on")
        .append(" tmpfs),\n  FORKSERVE_JVM_OPTS (the front's JVM options).\n");
    return out.toString();
  }

  /** Flags whose values are never shown nor passed to workers. */
  static final List<String> SECRETS = List.of("api-key", "api-key-file", "admin-token");

  /** Settings as shown by /info: {@link #visible}, JVM options as a count only. */
  Map<String, String> shown() {
    Map<String, String> shown = visible();
    if (shown.containsKey("worker-jvm-opts")) {
      shown.put("worker-jvm-opts", "(" + workerJvmOpts.size() + " options, not shown)");
    }
    return shown;
  }

  /** Settings as shown by /info and passed to workers (the API key is never shown). */
  Map<String, String> visible() {
    Map<String, String> shown = new LinkedHashMap<>();
    raw.forEach(
        (k, v) -> {
          if (v != null && !SECRETS.contains(k)) {
            shown.put(k, v);
          }
        });
    if (apiKey != null) {
      shown.put("api-key", "(set)");
    }
    if (adminToken != null) {
      shown.put("admin-token", "(set)");
    }
    return shown;
  }

  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m)?");
  private static final Pattern SIZE =
      Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|KB|MB|GB|KiB|MiB|GiB)?", Pattern.CASE_INSENSITIVE);

  /** A duration such as 250ms, 5s, 1m or a bare number of milliseconds, in nanoseconds. */
  static long parseDuration(String flag, String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--" + flag + " must be a duration like 250ms, 5s or 1m, not " + text);
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "ms" : m.group(2);
    double nanos = value * (unit.equals("ms") ? 1e6 : unit.equals("s") ? 1e9 : 60e9);
    return (long) nanos;
  }

  /** A size such as 10MB, 512KB or a bare number of bytes. */
  static long parseSize(String flag, String text) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "--" + flag + " must be a size like 10MB, 512KB or a number of bytes, not " + text);
    }
    double value = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
    long scale;
    switch (unit) {
      case "KB":
        scale = 1000;
        break;
      case "MB":
        scale = 1000_000;
        break;
      case "GB":
        scale = 1000_000_000;
        break;
      case "KIB":
        scale = 1024;
        break;
      case "MIB":
        scale = 1024 * 1024;
        break;
      case "GIB":
        scale = 1024 * 1024 * 1024;
        break;
      default:
        scale = 1;
    }
    return (long) (value * scale);
  }

  private static long duration(Map<String, String> raw, String flag) {
    return parseDuration(flag, raw.get(flag));
  }

  private static long size(Map<String, String> raw, String flag) {
    long bytes = parseSize(flag, raw.get(flag));
    if (bytes <= 0) {
      throw new IllegalArgumentException("--" + flag + " must be above 0");
    }
    return bytes;
  }

  private static int intIn(Map<String, String> raw, String flag, int min, int max) {
    String text = raw.get(flag);
    int value;
    try {
      value = Integer.parseInt(text.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + flag + " must be a whole number, not " + text);
    }
    if (value < min || value > max) {
      throw new IllegalArgumentException(
          "--" + flag + " must be between " + min + " and " + max + ", not " + value);
    }
    return value;
  }

  static List<String> devices(String text) {
    List<String> devices = new ArrayList<>();
    for (String part : text.split(",")) {
      String device = part.trim();
      if (device.matches("\\d+")) {
        device = "cuda:" + device;
      }
      if (!device.equals("cpu") && !device.matches("[a-z]+:\\d+")) {
        throw new IllegalArgumentException(
            "--devices must be cpu or a list like cuda:0,cuda:1, not " + text);
      }
      devices.add(device);
    }
    return devices;
  }

  /** Whether --worker-jvm-opts (or its variable) differs from the default. */
  boolean customWorkerJvmOpts() {
    return !workerJvmOpts.equals(splitOpts(DEFAULTS.get("worker-jvm-opts")));
  }

  private static List<String> splitOpts(String text) {
    List<String> opts = new ArrayList<>();
    for (String opt : text.trim().split("\\s+")) {
      if (!opt.isEmpty()) {
        opts.add(opt);
      }
    }
    return opts;
  }
}
