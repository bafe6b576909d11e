package io.forkserve.worker.jvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.MetricsRegistry;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.Sample;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our sampler against prometheus client_java's own {@code JvmMetrics} in the same JVM: the same
 * family names, types and label names (plus {@code worker}).
 */
class JvmFamiliesTest {
  /**
   * Counted by client_java only after a collection, from GC notifications; we do not write it
   * (docs/jvm-metrics.md).
   */
  private static final String NOT_WRITTEN = "jvm_memory_pool_allocated_bytes";

  @TempDir Path dir;

  @Test
  void familiesTypesAndLabelsAreClientJavas() {
    PrometheusRegistry clientJava = new PrometheusRegistry();
    JvmMetrics.builder().register(clientJava);
    Map<String, String> expected = new TreeMap<>();
    for (MetricSnapshot snapshot : clientJava.scrape()) {
      String name = snapshot.getMetadata().getPrometheusName();
      if (name.equals(NOT_WRITTEN) || snapshot.getDataPoints().isEmpty()) {
        continue;
      }
      Set<String> labels = new TreeSet<>(Set.of("worker"));
      for (DataPointSnapshot point : snapshot.getDataPoints()) {
        point.getLabels().forEach(l -> labels.add(l.getName()));
      }
      if (snapshot instanceof InfoSnapshot) {
        name += "_info"; // an info metric is a gauge NAME_info in the text format 0.0.4
      }
      expected.put(name, typeOf(snapshot) + " " + labels);
    }

    try (MetricsRegistry registry = MetricsRegistry.open(dir)) {
      new JvmSampler(registry, "0", ProcSelf.system()).sample();
      Map<String, String> ours = new TreeMap<>();
      for (MetricFamilySnapshot family : DirectoryScraper.scrapeOnce(dir).families()) {
        if (family.name().startsWith("forkserve_metrics_")) {
          continue; // the scraper's own
        }
        Set<String> labels = new TreeSet<>();
        for (Sample sample : family.samples()) {
          for (int i = 0; i < sample.labels().size(); i++) {
            labels.add(sample.labels().name(i));
          }
          assertEquals("0", sample.labels().get("worker"), sample.toString());
        }
        ours.put(family.name(), family.type().token() + " " + labels);
      }
      assertEquals(expected, ours);
    }
  }

  @Test
  void gcSummaryCountsCollectionsAndCountersGrowByDeltas() {
    try (MetricsRegistry registry = MetricsRegistry.open(dir)) {
      JvmSampler sampler = new JvmSampler(registry, "front", ProcSelf.system());
      sampler.sample();
      double cpuBefore = value(dir, "process_cpu_seconds_total");
      System.gc();
      burnCpu();
      sampler.sample();
      sampler.sample(); // nothing new between the two: nothing added
      long collections = 0;
      for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
        collections += Math.max(0, gc.getCollectionCount());
      }
      assertEquals((double) collections, value(dir, "jvm_gc_collection_seconds_count"));
      double cpu = value(dir, "process_cpu_seconds_total");
      assertTrue(cpu > cpuBefore, cpuBefore + " -> " + cpu);
      double ownCpu =
          ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                  .getProcessCpuTime()
              / 1e9;
      assertTrue(cpu <= ownCpu, cpu + " > " + ownCpu);
      assertEquals(1.0, value(dir, "jvm_runtime_info"));
    }
  }

  static void burnCpu() {
    long end = System.nanoTime() + 50_000_000;
    double x = 0;
    while (System.nanoTime() < end) {
      x += Math.sqrt(x + 1);
    }
    assertTrue(x > 0);
  }

  /** The sum of the samples named {@code name}. */
  static double value(Path dir, String name) {
    double sum = 0;
    boolean found = false;
    for (MetricFamilySnapshot family : DirectoryScraper.scrapeOnce(dir).families()) {
      for (Sample sample : family.samples()) {
        if (sample.name().equals(name)) {
          sum += sample.value();
          found = true;
        }
      }
    }
    assertTrue(found, "no sample " + name);
    return sum;
  }

  private static String typeOf(MetricSnapshot snapshot) {
    if (snapshot instanceof CounterSnapshot) {
      return "counter";
    } else if (snapshot instanceof SummarySnapshot) {
      return "summary";
    } else if (snapshot instanceof GaugeSnapshot || snapshot instanceof InfoSnapshot) {
      return "gauge";
    }
    return snapshot.getClass().getSimpleName();
  }
}
