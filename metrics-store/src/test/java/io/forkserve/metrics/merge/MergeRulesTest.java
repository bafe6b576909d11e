package io.forkserve.metrics.merge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.metrics.GaugeMode;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.MetricType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The merge rules of prometheus_client's MultiProcessCollector, on crafted files; every expected
 * value is worked out by hand from the rules.
 */
class MergeRulesTest {
  @TempDir Path dir;

  private static String gauge(String name, String shard) {
    return FileBytes.key(name, name, "{\"shard\": \"" + shard + "\"}", "G.");
  }

  @Test
  void allAndLiveallKeepOneSeriesPerFileWithAPidLabel() {
    FileBytes.v2().add(gauge("g", "x"), 1.0).writeTo(dir.resolve("gauge_all_11.db"));
    FileBytes.v1().add(gauge("g", "x"), 2.0).writeTo(dir.resolve("gauge_all_12.db"));
    FileBytes.v2().add(gauge("h", "x"), 4.0).writeTo(dir.resolve("gauge_liveall_11.db"));
    assertEquals(Map.of(
        "g{pid=\"11\",shard=\"x\"}", 1.0,
        "g{pid=\"12\",shard=\"x\"}", 2.0,
        "h{pid=\"11\",shard=\"x\"}", 4.0), scrape());
  }

  @Test
  void minMaxAndSumDropThePid() {
    double[] values = {3.0, -1.0, 2.0};
    for (String mode : List.of("min", "livemin", "max", "livemax", "sum", "livesum")) {
      for (int pid = 0; pid < values.length; pid++) {
        FileBytes.v2().add(gauge("g_" + mode, "x"), values[pid])
            .writeTo(dir.resolve("gauge_" + mode + "_" + pid + ".db"));
      }
    }
    assertEquals(Map.of(
        "g_min{shard=\"x\"}", -1.0, "g_livemin{shard=\"x\"}", -1.0,
        "g_max{shard=\"x\"}", 3.0, "g_livemax{shard=\"x\"}", 3.0,
        "g_sum{shard=\"x\"}", 4.0, "g_livesum{shard=\"x\"}", 4.0), scrape());
  }

  @Test
  void mostrecentKeepsTheValueWithTheLargestTimestampAndNeverSetEmitsNothing() {
    FileBytes.v2().add(gauge("g", "x"), 5.0, 100.0).add(gauge("g", "never"), 1.0, 0.0)
        .writeTo(dir.resolve("gauge_mostrecent_1.db"));
    FileBytes.v2().add(gauge("g", "x"), 7.0, 50.0).add(gauge("g", "never"), 2.0, 0.0)
        .writeTo(dir.resolve("gauge_mostrecent_2.db"));
    FileBytes.v2().add(gauge("g", "x"), 9.0, 0.0).writeTo(dir.resolve("gauge_mostrecent_3.db"));
    FileBytes.v2().add(gauge("l", "x"), 1.0, 7.0).writeTo(dir.resolve("gauge_livemostrecent_1.db"));
    FileBytes.v2().add(gauge("l", "x"), 2.0, 8.0).writeTo(dir.resolve("gauge_livemostrecent_2.db"));
    assertEquals(Map.of("g{shard=\"x\"}", 5.0, "l{shard=\"x\"}", 2.0), scrape());
  }

  @Test
  void countersAndSummariesAreSummedPerSampleAndLabels() {
    String a = FileBytes.key("jobs", "jobs_total", "{\"q\": \"a\"}", "Jobs.");
    String b = FileBytes.key("jobs", "jobs_total", "{\"q\": \"b\"}", "Jobs.");
    FileBytes.v2().add(a, 1.5).add(b, 1.0).writeTo(dir.resolve("counter_1.db"));
    FileBytes.v1().add(a, 2.0).writeTo(dir.resolve("counter_2.db"));
    FileBytes.v2().add(FileBytes.key("size", "size_count", "{}", "S."), 2.0)
        .add(FileBytes.key("size", "size_sum", "{}", "S."), 10.0)
        .writeTo(dir.resolve("summary_1.db"));
    FileBytes.v2().add(FileBytes.key("size", "size_count", "{}", "S."), 1.0)
        .add(FileBytes.key("size", "size_sum", "{}", "S."), 0.25)
        .writeTo(dir.resolve("summary_2.db"));
    assertEquals(Map.of(
        "jobs_total{q=\"a\"}", 3.5, "jobs_total{q=\"b\"}", 1.0,
        "size_count", 3.0, "size_sum", 10.25), scrape());
  }

  @Test
  void histogramBucketsAreSummedByNumericBoundSortedAndMadeCumulative() {
    FileBytes.v2()
        .add(bucket("0.5"), 1.0).add(bucket("1.0"), 2.0).add(bucket("+Inf"), 0.0)
        .add(FileBytes.key("lat", "lat_sum", "{\"r\": \"/\"}", "L."), 1.5)
        .writeTo(dir.resolve("histogram_1.db"));
    // Another writer's order and spelling: "1" is the bound 1.0, as Python's float() reads it.
    FileBytes.v1()
        .add(bucket("1"), 3.0).add(bucket("+Inf"), 1.0).add(bucket("0.5"), 0.0)
        .add(FileBytes.key("lat", "lat_sum", "{\"r\": \"/\"}", "L."), 10.0)
        .writeTo(dir.resolve("histogram_2.db"));
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals(Map.of(
        "lat_bucket{le=\"0.5\",r=\"/\"}", 1.0,
        "lat_bucket{le=\"1.0\",r=\"/\"}", 6.0,
        "lat_bucket{le=\"+Inf\",r=\"/\"}", 7.0,
        "lat_count{r=\"/\"}", 7.0,
        "lat_sum{r=\"/\"}", 11.5), Values.of(s));
    assertEquals(List.of("lat_bucket 0.5", "lat_bucket 1.0", "lat_bucket +Inf", "lat_count null",
        "lat_sum null"), family(s, "lat").samples().stream()
            .map(x -> x.name() + " " + x.labels().get("le")).toList());
  }

  @Test
  void histogramWithoutAnInfBucketGetsOneSoItsExpositionIsValid() {
    FileBytes.v2().add(bucket("0.5"), 2.0).add(bucket("1.0"), 1.0)
        .writeTo(dir.resolve("histogram_1.db"));
    assertEquals(Map.of(
        "lat_bucket{le=\"0.5\",r=\"/\"}", 2.0,
        "lat_bucket{le=\"1.0\",r=\"/\"}", 3.0,
        "lat_bucket{le=\"+Inf\",r=\"/\"}", 3.0,
        "lat_count{r=\"/\"}", 3.0), scrape());
  }

  @Test
  void aFamilyKeepsTheTypeAndHelpOfTheFirstFileByName() {
    FileBytes.v2().add(FileBytes.key("x", "x_total", "{}", "First."), 1.0)
        .writeTo(dir.resolve("counter_1.db"));
    FileBytes.v2().add(FileBytes.key("x", "x_total", "{}", "Second."), 2.0)
        .writeTo(dir.resolve("counter_2.db"));
    FileBytes.v2().add(FileBytes.key("x", "x", "{}", "A gauge."), 5.0)
        .writeTo(dir.resolve("gauge_all_1.db"));
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals(Map.of("x_total", 3.0), Values.of(s));
    assertEquals(MetricType.COUNTER, family(s, "x").type());
    assertEquals("First.", family(s, "x").help());
  }

  @Test
  void aGaugeKeepsTheModeOfTheFirstFileByNameForEverySeries() {
    // By name, livemax_1 < livemin_1 < max_2: the family is a max gauge, min entries are ignored
    // (even a series first seen in the min file), and livemax merges like max.
    FileBytes.v2().add(gauge("g", "a"), 1.0).writeTo(dir.resolve("gauge_livemax_1.db"));
    FileBytes.v2().add(gauge("g", "b"), 5.0).add(gauge("g", "a"), -9.0)
        .writeTo(dir.resolve("gauge_livemin_1.db"));
    FileBytes.v2().add(gauge("g", "b"), 2.0).add(gauge("g", "a"), 3.0)
        .writeTo(dir.resolve("gauge_max_2.db"));
    try (DirectoryScraper scraper = new DirectoryScraper(dir)) {
      Map<String, Double> expected = Map.of("g{shard=\"a\"}", 3.0, "g{shard=\"b\"}", 2.0);
      assertEquals(expected, Values.of(scraper.scrape()));
      assertEquals(expected, Values.of(scraper.scrape()));
    }
  }

  @Test
  void theFilePidReplacesAPidLabelInModeAll() {
    FileBytes.v2().add(FileBytes.key("g", "g", "{\"pid\": \"spoof\"}", "G."), 1.0)
        .writeTo(dir.resolve("gauge_all_42.db"));
    assertEquals(Map.of("g{pid=\"42\"}", 1.0), scrape());
  }

  @Test
  void labelValuesAreDecodedFromJsonEscapes() {
    String key = "[\"j\", \"j_total\", {\"q\": \"caf\\u00e9 \\\"q\\\" back\\\\slash line\\nbreak"
        + " \\ud83d\\ude00\"}, \"H\\u00e9lp.\"]";
    FileBytes.v2().add(key, 1.0).writeTo(dir.resolve("counter_1.db"));
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals("café \"q\" back\\slash line\nbreak \uD83D\uDE00",
        family(s, "j").samples().get(0).labels().get("q"));
    assertEquals("Hélp.", family(s, "j").help());
  }

  @Test
  void mergeSourceEntriesMergeLikeOneMoreFile() {
    String key = FileBytes.key("jobs", "jobs_total", "{\"q\": \"a\"}", "Jobs.");
    FileBytes.v2().add(key, 1.5).writeTo(dir.resolve("counter_1.db"));
    MergeSource archive = sink -> {
      sink.accept(MetricType.COUNTER, null, "archive", key, 10.0, 0.0);
      sink.accept(MetricType.GAUGE, GaugeMode.LIVESUM, "archive", gauge("g", "x"), 2.0, 0.0);
      sink.accept(MetricType.COUNTER, null, "archive", "not json", 99.0, 0.0);
    };
    try (DirectoryScraper scraper = new DirectoryScraper(dir, List.of(archive))) {
      Map<String, Double> expected = Map.of("jobs_total{q=\"a\"}", 11.5, "g{shard=\"x\"}", 2.0);
      assertEquals(expected, Values.of(scraper.scrape()));
      assertEquals(expected, Values.of(scraper.scrape()));
    }
  }

  @Test
  void familiesAreSortedByNameAndSeriesByLabels() {
    FileBytes.v2().add(gauge("b", "2"), 1.0).add(gauge("b", "1"), 1.0).add(gauge("a", "z"), 1.0)
        .writeTo(dir.resolve("gauge_sum_1.db"));
    MetricSnapshots s = DirectoryScraper.scrapeOnce(dir);
    assertEquals(List.of("a", "b", "forkserve_metrics_file_skips",
        "forkserve_metrics_skipped_files"),
        s.families().stream().map(MetricFamilySnapshot::name).toList());
    assertEquals(List.of("1", "2"), family(s, "b").samples().stream()
        .map(x -> x.labels().get("shard")).toList());
  }

  private static String bucket(String le) {
    return FileBytes.key("lat", "lat_bucket", "{\"le\": \"" + le + "\", \"r\": \"/\"}", "L.");
  }

  private Map<String, Double> scrape() {
    return Values.of(DirectoryScraper.scrapeOnce(dir));
  }

  private static MetricFamilySnapshot family(MetricSnapshots s, String name) {
    return s.families().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
  }
}
