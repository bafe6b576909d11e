package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Info and state set metrics, written by two processes' registries and merged. */
class InfoStateSetTest {
  @TempDir Path dir;

  /** Two "processes" (file IDs 101 and 102) write an info metric and a state set. */
  static void writeTwoProcesses(Path dir) {
    try (MetricsRegistry a = MetricsRegistry.builder(dir).pid(101).open();
        MetricsRegistry b = MetricsRegistry.builder(dir).pid(102).open()) {
      for (MetricsRegistry r : List.of(a, b)) {
        Info info = Info.builder("forkserve_api_info").help("The served API.")
            .labelNames("name", "version").register(r);
        info.set("echo", "0.9");
        info.set("echo", "1.0"); // replaces 0.9
      }
      StateSet state = StateSet.builder("forkserve_worker_state").help("Worker state.")
          .states("starting", "ready", "draining", "recycling").labelNames("worker")
          .register(a);
      state.labels("1").setState("ready");
      state.labels("2").setState("starting");
      state.labels("2").set("draining", true);
    }
  }

  static MetricSnapshots scrape(Path dir) {
    MetricSnapshots all = DirectoryScraper.scrapeOnce(dir);
    return new MetricSnapshots(all.families().stream()
        .filter(f -> !f.name().startsWith("forkserve_metrics_"))
        .collect(Collectors.toList()));
  }

  static String text(MetricSnapshots s, ExpositionFormat format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(s, format, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void openMetricsHasInfoAndStateSetTypes() throws Exception {
    writeTwoProcesses(dir);
    assertEquals("""
        # HELP forkserve_api The served API.
        # TYPE forkserve_api info
        forkserve_api_info{name="echo",version="1.0"} 1.0
        # HELP forkserve_worker_state Worker state.
        # TYPE forkserve_worker_state stateset
        forkserve_worker_state{forkserve_worker_state="draining",worker="1"} 0.0
        forkserve_worker_state{forkserve_worker_state="ready",worker="1"} 1.0
        forkserve_worker_state{forkserve_worker_state="recycling",worker="1"} 0.0
        forkserve_worker_state{forkserve_worker_state="starting",worker="1"} 0.0
        forkserve_worker_state{forkserve_worker_state="draining",worker="2"} 1.0
        forkserve_worker_state{forkserve_worker_state="ready",worker="2"} 0.0
        forkserve_worker_state{forkserve_worker_state="recycling",worker="2"} 0.0
        forkserve_worker_state{forkserve_worker_state="starting",worker="2"} 1.0
        # EOF
        """, text(scrape(dir), ExpositionFormat.OPENMETRICS));
  }

  @Test
  void textFormatShowsThemAsGauges() throws Exception {
    writeTwoProcesses(dir);
    String text = text(scrape(dir), ExpositionFormat.TEXT);
    assertEquals("""
        # HELP forkserve_api_info The served API.
        # TYPE forkserve_api_info gauge
        forkserve_api_info{name="echo",version="1.0"} 1.0
        # HELP forkserve_worker_state Worker state.
        # TYPE forkserve_worker_state gauge
        """, text.substring(0, text.indexOf("forkserve_worker_state{")));
  }

  @Test
  void liveAllKeepsOneInfoPerProcess() throws Exception {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(7).open()) {
      Info.builder("build").labelNames("v").mode(GaugeMode.LIVEALL).register(r).set("x");
    }
    MetricFamilySnapshot f = scrape(dir).families().get(0);
    assertEquals("[build_info{pid=\"7\",v=\"x\"} 1.0]", f.samples().toString());
  }

  @Test
  void badSettingsAreRefused() {
    try (MetricsRegistry r = MetricsRegistry.builder(dir).pid(8).open()) {
      assertThrows(IllegalArgumentException.class,
          () -> Info.builder("i").labelNames("a").mode(GaugeMode.SUM));
      assertThrows(IllegalArgumentException.class, () -> Info.builder("i").register(r));
      assertThrows(IllegalArgumentException.class,
          () -> StateSet.builder("s").states("a").mode(GaugeMode.LIVEMOSTRECENT));
      assertThrows(IllegalArgumentException.class,
          () -> StateSet.builder("s").states("a", "a").register(r));
      assertThrows(IllegalArgumentException.class,
          () -> StateSet.builder("s").states("a").labelNames("s").register(r));
      StateSet s = StateSet.builder("s2").states("a", "b").register(r);
      assertThrows(IllegalArgumentException.class, () -> s.setState("c"));
    }
  }
}
