package io.forkserve.worker.jvm;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.Gauge;
import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.Summary;
import io.forkserve.metrics.file.FormatVersion;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ClassLoadingMXBean;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.OperatingSystemMXBean;
import java.lang.management.RuntimeMXBean;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers the JVM and process families of prometheus client_java 1.x's {@code JvmMetrics} in a
 * {@link MetricsRegistry}, each with one more label, {@code worker}, and writes one sample of them
 * per {@link #sample()}. Not thread-safe: one sampler thread calls {@link #sample()}.
 */
final class JvmSampler {
  /*
   * Counters and gauges across restarts. A worker slot's processes come and go; the archive
   * folds a dead process's counter files into the totals and deletes its live-gauge files. So:
   *
   * - Counters (CPU seconds, classes loaded, GC count and time, ...) are written as the growth
   *   since the previous sample (Delta), so the file of a process holds exactly that process's
   *   total. The merged series of a slot is the sum over its dead (folded) and live processes:
   *   it never goes down when a worker is killed and replaced. A source that goes down (it
   *   cannot, for these MXBeans) adds nothing.
   * - Gauges are LIVEMOSTRECENT (LIVEMAX for a format v1 registry, which has no timestamps):
   *   written by set() every sample, deleted with their process; while a killed worker's file
   *   still waits for its fold, the newer process's value of the same slot wins.
   * - jvm_runtime_info, an info metric in client_java, is a gauge of value 1 with the runtime,
   *   vendor and version labels, as client_java's text format 0.0.4 shows it.
   *
   * The label sets are bounded: memory areas, pools, collectors, buffer pools and thread states
   * are fixed for the life of a JVM, and worker is the slot index or "front", never the pid.
   */

  static final String LABEL = "worker";

  private final String process;
  private final ProcSelf proc;
  private final GaugeMode gaugeMode;
  private final MetricsRegistry registry;

  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private final List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
  private final List<BufferPoolMXBean> buffers =
      ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class);
  private final List<GarbageCollectorMXBean> collectors =
      ManagementFactory.getGarbageCollectorMXBeans();
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final ClassLoadingMXBean classes = ManagementFactory.getClassLoadingMXBean();
  private final CompilationMXBean compilation = ManagementFactory.getCompilationMXBean();
  private final RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
  private final OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();

  private final Gauge memoryUsed;
  private final Gauge memoryCommitted;
  private final Gauge memoryMax;
  private final Gauge memoryInit;
  private final Gauge pendingFinalization;
  private final Gauge poolUsed;
  private final Gauge poolCommitted;
  private final Gauge poolMax;
  private final Gauge poolInit;
  private final Gauge poolCollectionUsed;
  private final Gauge poolCollectionCommitted;
  private final Gauge poolCollectionMax;
  private final Gauge poolCollectionInit;
  private final Gauge bufferUsedBytes;
  private final Gauge bufferCapacity;
  private final Gauge bufferCount;
  private final Gauge threadsCurrent;
  private final Gauge threadsDaemon;
  private final Gauge threadsPeak;
  private final Gauge threadsDeadlocked;
  private final Gauge threadsDeadlockedMonitor;
  private final Gauge threadsState;
  private final Gauge classesLoadedNow;
  private final Gauge residentMemory;
  private final Gauge virtualMemory;
  private final Gauge openFds;
  private final Gauge maxFds;
  private final Gauge startTime;
  private final Gauge runtimeInfo;
  private final Delta threadsStarted;
  private final Delta classesLoaded;
  private final Delta classesUnloaded;
  private final Delta compilationSeconds;
  private final Delta cpuSeconds;
  private final Summary gcSeconds;
  private final Map<String, GcTotals> gcTotals = new HashMap<>();

  JvmSampler(MetricsRegistry registry, String process, ProcSelf proc) {
    this.registry = registry;
    this.process = process;
    this.proc = proc;
    this.gaugeMode =
        registry.formatVersion() == FormatVersion.V1 ? GaugeMode.LIVEMAX : GaugeMode.LIVEMOSTRECENT;
    memoryUsed = gauge("jvm_memory_used_bytes", "Used bytes of a given JVM memory area.", "area");
    memoryCommitted =
        gauge(
            "jvm_memory_committed_bytes",
            "Committed (bytes) of a given JVM memory area.",
            "area");
    memoryMax = gauge("jvm_memory_max_bytes", "Max (bytes) of a given JVM memory area.", "area");
    memoryInit =
        gauge("jvm_memory_init_bytes", "Initial bytes of a given JVM memory area.", "area");
    pendingFinalization =
        gauge(
            "jvm_memory_objects_pending_finalization",
            "The number of objects waiting in the finalizer queue.");
    poolUsed =
        gauge("jvm_memory_pool_used_bytes", "Used bytes of a given JVM memory pool.", "pool");
    poolCommitted =
        gauge(
            "jvm_memory_pool_committed_bytes",
            "Committed bytes of a given JVM memory pool.",
            "pool");
    poolMax = gauge("jvm_memory_pool_max_bytes", "Max bytes of a given JVM memory pool.", "pool");
    poolInit =
        gauge("jvm_memory_pool_init_bytes", "Initial bytes of a given JVM memory pool.", "pool");
    poolCollectionUsed =
        gauge(
            "jvm_memory_pool_collection_used_bytes",
            "Used bytes after last collection of a given JVM memory pool.",
            "pool");
    poolCollectionCommitted =
        gauge(
            "jvm_memory_pool_collection_committed_bytes",
            "Committed after last collection bytes of a given JVM memory pool.",
            "pool");
    poolCollectionMax =
        gauge(
            "jvm_memory_pool_collection_max_bytes",
            "Max bytes after last collection of a given JVM memory pool.",
            "pool");
    poolCollectionInit =
        gauge(
            "jvm_memory_pool_collection_init_bytes",
            "Initial after last collection bytes of a given JVM memory pool.",
            "pool");
    bufferUsedBytes =
        gauge("jvm_buffer_pool_used_bytes", "Used bytes of a given JVM buffer pool.", "pool");
    bufferCapacity =
        gauge(
            "jvm_buffer_pool_capacity_bytes",
            "Bytes capacity of a given JVM buffer pool.",
            "pool");
    bufferCount =
        gauge("jvm_buffer_pool_used_buffers", "Used buffers of a given JVM buffer pool.", "pool");
    threadsCurrent = gauge("jvm_threads_current", "Current thread count of a JVM.");
    threadsDaemon = gauge("jvm_threads_daemon", "Daemon thread count of a JVM.");
    threadsPeak = gauge("jvm_threads_peak", "Peak thread count of a JVM.");
    threadsDeadlocked =
        gauge(
            "jvm_threads_deadlocked",
            "Cycles of JVM-threads that are in deadlock waiting to acquire object monitors or"
                + " ownable synchronizers.");
    threadsDeadlockedMonitor =
        gauge(
            "jvm_threads_deadlocked_monitor",
            "Cycles of JVM-threads that are in deadlock waiting to acquire object monitors.");
    threadsState = gauge("jvm_threads_state", "Current count of threads by state.", "state");
    classesLoadedNow =
        gauge(
            "jvm_classes_currently_loaded",
            "The number of classes that are currently loaded in the JVM.");
    residentMemory = gauge("process_resident_memory_bytes", "Resident memory size in bytes.");
    virtualMemory = gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
    openFds = gauge("process_open_fds", "Number of open file descriptors.");
    maxFds = gauge("process_max_fds", "Maximum number of open file descriptors.");
    startTime =
        gauge(
            "process_start_time_seconds",
            "Start time of the process since unix epoch in seconds.");
    runtimeInfo = gauge("jvm_runtime_info", "JVM runtime info.", "runtime", "vendor", "version");
    threadsStarted = delta("jvm_threads_started_total", "Started thread count of a JVM.");
    classesLoaded =
        delta(
            "jvm_classes_loaded_total",
            "The total number of classes that have been loaded since the JVM has started"
                + " execution.");
    classesUnloaded =
        delta(
            "jvm_classes_unloaded_total",
            "The total number of classes that have been unloaded since the JVM has started"
                + " execution.");
    compilationSeconds =
        compilation != null && compilation.isCompilationTimeMonitoringSupported()
            ? delta(
                "jvm_compilation_time_seconds_total",
                "The total time in seconds taken for HotSpot class compilation.")
            : null;
    cpuSeconds =
        delta("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.");
    gcSeconds =
        Summary.builder("jvm_gc_collection_seconds")
            .help("Time spent in a given JVM garbage collector in seconds.")
            .labelNames("gc", LABEL)
            .register(registry);
  }

  /** Reads every source once and writes the values. */
  void sample() {
    sampleMemory();
    sampleThreads();
    sampleClasses();
    sampleProcess();
    sampleCollectors();
  }

  private void sampleMemory() {
    usage(memory.getHeapMemoryUsage(), "heap", memoryUsed, memoryCommitted, memoryMax, memoryInit);
    usage(
        memory.getNonHeapMemoryUsage(),
        "nonheap",
        memoryUsed,
        memoryCommitted,
        memoryMax,
        memoryInit);
    pendingFinalization.labels(process).set(memory.getObjectPendingFinalizationCount());
    for (MemoryPoolMXBean pool : pools) {
      usage(pool.getUsage(), pool.getName(), poolUsed, poolCommitted, poolMax, poolInit);
      MemoryUsage afterGc = pool.getCollectionUsage();
      if (afterGc != null) {
        usage(
            afterGc,
            pool.getName(),
            poolCollectionUsed,
            poolCollectionCommitted,
            poolCollectionMax,
            poolCollectionInit);
      }
    }
    for (BufferPoolMXBean pool : buffers) {
      bufferUsedBytes.labels(pool.getName(), process).set(pool.getMemoryUsed());
      bufferCapacity.labels(pool.getName(), process).set(pool.getTotalCapacity());
      bufferCount.labels(pool.getName(), process).set(pool.getCount());
    }
  }

  private void usage(
      MemoryUsage usage, String label, Gauge used, Gauge committed, Gauge max, Gauge init) {
    if (usage == null) {
      return;
    }
    used.labels(label, process).set(usage.getUsed());
    committed.labels(label, process).set(usage.getCommitted());
    max.labels(label, process).set(usage.getMax());
    init.labels(label, process).set(usage.getInit());
  }

  private void sampleThreads() {
    threadsCurrent.labels(process).set(threads.getThreadCount());
    threadsDaemon.labels(process).set(threads.getDaemonThreadCount());
    threadsPeak.labels(process).set(threads.getPeakThreadCount());
    threadsStarted.to(threads.getTotalStartedThreadCount());
    threadsDeadlocked.labels(process).set(count(threads.findDeadlockedThreads()));
    threadsDeadlockedMonitor.labels(process).set(count(threads.findMonitorDeadlockedThreads()));
    Map<Thread.State, Integer> states = new EnumMap<>(Thread.State.class);
    for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
      if (info != null) {
        states.merge(info.getThreadState(), 1, Integer::sum);
      }
    }
    for (Thread.State state : Thread.State.values()) {
      threadsState.labels(state.name(), process).set(states.getOrDefault(state, 0));
    }
    threadsState.labels("UNKNOWN", process).set(0);
  }

  private static int count(long[] ids) {
    return ids == null ? 0 : ids.length;
  }

  private void sampleClasses() {
    classesLoadedNow.labels(process).set(classes.getLoadedClassCount());
    classesLoaded.to(classes.getTotalLoadedClassCount());
    classesUnloaded.to(classes.getUnloadedClassCount());
    if (compilationSeconds != null) {
      compilationSeconds.to(compilation.getTotalCompilationTime() / 1e3);
    }
  }

  private void sampleProcess() {
    double cpu = proc.cpuSeconds();
    if (os instanceof com.sun.management.OperatingSystemMXBean) {
      long nanos = ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime();
      cpu = nanos >= 0 ? nanos / 1e9 : cpu;
    }
    if (cpu >= 0) {
      cpuSeconds.to(cpu);
    }
    setIfKnown(residentMemory, proc.residentBytes());
    setIfKnown(virtualMemory, proc.virtualBytes());
    setIfKnown(openFds, proc.openFds());
    setIfKnown(maxFds, proc.maxFds());
    startTime.labels(process).set(runtime.getStartTime() / 1e3);
    runtimeInfo
        .labels(
            System.getProperty("java.runtime.name", "unknown"),
            System.getProperty("java.vm.vendor", "unknown"),
            System.getProperty("java.runtime.version", "unknown"),
            process)
        .set(1);
  }

  private void setIfKnown(Gauge gauge, long value) {
    if (value >= 0) {
      gauge.labels(process).set(value);
    }
  }

  private void sampleCollectors() {
    for (GarbageCollectorMXBean gc : collectors) {
      long count = gc.getCollectionCount();
      long millis = gc.getCollectionTime();
      if (count < 0 || millis < 0) {
        continue;
      }
      gcTotals
          .computeIfAbsent(gc.getName(), name -> new GcTotals(gcSeconds.labels(name, process)))
          .to(count, millis);
    }
  }

  private Gauge gauge(String name, String help, String... labels) {
    String[] names = new String[labels.length + 1];
    System.arraycopy(labels, 0, names, 0, labels.length);
    names[labels.length] = LABEL;
    return Gauge.builder(name).help(help).labelNames(names).mode(gaugeMode).register(registry);
  }

  private Delta delta(String name, String help) {
    return new Delta(
        Counter.builder(name).help(help).labelNames(LABEL).register(registry).labels(process));
  }

  /**
   * Whole multiples of 2^-20 (about a microsecond): every sum of them below 2^33 is exact in a
   * double, so a slot's total is the same whatever order the merge adds its live files and its
   * archived ones in. With arbitrary fractions, folding a dead worker's file into the archive can
   * change the rounding of the sum by an ulp, which Prometheus would read as a counter reset.
   */
  static double quantized(double value) {
    return Math.floor(value * QUANTUM_INVERSE) / QUANTUM_INVERSE;
  }

  private static final double QUANTUM_INVERSE = 1 << 20;

  /** A counter written as the growth of a cumulative source since the last sample. */
  private static final class Delta {
    private final Counter.Child child;
    private double last;

    Delta(Counter.Child child) {
      this.child = child;
    }

    void to(double total) {
      double q = quantized(total);
      if (q > last) {
        child.inc(q - last);
        last = q;
      }
    }
  }

  /**
   * A collector's count and time written into a summary: the time grown since the last sample
   * is one observation, each further collection an observation of 0, so {@code _count} is the
   * collection count and {@code _sum} the seconds.
   */
  private static final class GcTotals {
    private final Summary.Child child;
    private long count;
    private long millis;

    GcTotals(Summary.Child child) {
      this.child = child;
    }

    void to(long newCount, long newMillis) {
      if (newCount <= count) {
        return; // the time of a collection is counted with it
      }
      long grown = Math.max(0, newMillis - millis);
      // the exact difference of two quantized totals: sums stay order-independent (quantized)
      child.observe(quantized((millis + grown) / 1e3) - quantized(millis / 1e3));
      for (long i = count + 1; i < newCount; i++) {
        child.observe(0);
      }
      count = newCount;
      millis = Math.max(millis, newMillis);
    }
  }
}
