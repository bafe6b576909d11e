package io.forkserve.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.forkserve.metrics.MetricsRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Micrometer's own binders work unchanged: their families appear in the merged scrape. */
class BindersTest {
  @TempDir Path dir;

  @Test
  void jvmProcessorAndCacheBindersAppearInTheMergedScrape() throws Exception {
    try (MetricsRegistry metrics = MetricsRegistry.open(dir);
        ForkserveMeterRegistry meters = ForkserveMeterRegistry.create(metrics);
        JvmGcMetrics gc = new JvmGcMetrics()) {
      new JvmMemoryMetrics().bindTo(meters);
      gc.bindTo(meters);
      new ProcessorMetrics().bindTo(meters);
      new JvmThreadMetrics().bindTo(meters);
      new ClassLoaderMetrics().bindTo(meters);
      Cache<String, String> cache = Caffeine.newBuilder().maximumSize(10).recordStats().build();
      CaffeineCacheMetrics.monitor(meters, cache, "models");
      cache.put("a", "1");
      cache.getIfPresent("a");
      cache.getIfPresent("a");
      cache.getIfPresent("b");
      meters.sampleNow();

      String text = Families2Text.scrape(dir);
      Map<String, String> families = Families2Text.families(text);
      for (String family :
          List.of(
              "jvm_memory_used_bytes",
              "jvm_memory_max_bytes",
              "jvm_buffer_count_buffers",
              "jvm_gc_memory_allocated_bytes_total",
              "jvm_gc_max_data_size_bytes",
              "system_cpu_count",
              "process_cpu_usage",
              "jvm_threads_live_threads",
              "jvm_threads_states_threads",
              "jvm_classes_loaded_classes",
              "cache_gets_total",
              "cache_size",
              "cache_puts_total")) {
        assertTrue(families.containsKey(family), family + " missing from " + families.keySet());
      }
      assertEquals(
          "gauge; [jvm_memory_used_bytes]; [area, id, pid]", families.get("jvm_memory_used_bytes"));
      assertEquals(
          "counter; [cache_gets_total]; [cache, result]", families.get("cache_gets_total"));
      assertEquals(
          2.0, Families2Text.value(text, "cache_gets_total{cache=\"models\",result=\"hit\"}"));
      assertEquals(
          1.0, Families2Text.value(text, "cache_gets_total{cache=\"models\",result=\"miss\"}"));
      long pid = ProcessHandle.current().pid();
      assertEquals(
          Runtime.getRuntime().availableProcessors(),
          Families2Text.value(text, "system_cpu_count{pid=\"" + pid + "\"}"));
    }
  }
}
