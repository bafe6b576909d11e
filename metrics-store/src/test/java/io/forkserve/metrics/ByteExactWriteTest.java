package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.metrics.testsupport.MutableClock;
import io.forkserve.metrics.testsupport.PyFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Replays every Python-written fixture file through the public API: registers the same metrics,
 * creates the same series in the same order and brings each to the same value, then compares our
 * file with Python's byte for byte up to {@code used}, and the file sizes.
 */
class ByteExactWriteTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  static Stream<Arguments> fixtureFiles() {
    List<Arguments> args = new ArrayList<>();
    for (String version : Fixtures.VERSIONS) {
      for (Path file : Fixtures.dbFiles(version)) {
        args.add(Arguments.of(version, Fixtures.prometheusClient(version).relativize(file)));
      }
    }
    return args.stream();
  }

  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("fixtureFiles")
  void writesTheSameBytesAsPython(String version, Path relative) throws IOException {
    Path python = Fixtures.prometheusClient(version).resolve(relative);
    FormatVersion format = PyFile.format(version);
    String fileName = python.getFileName().toString();
    Path ours = dir.resolve(fileName);

    replay(python, format, fileName);

    byte[] expected = Files.readAllBytes(python);
    byte[] actual = Files.readAllBytes(ours);
    int used = PyFile.used(expected);
    assertEquals(used, PyFile.used(actual), "used");
    assertArrayEquals(Arrays.copyOf(expected, used), Arrays.copyOf(actual, used));
    assertEquals(expected.length, actual.length, "file size (capacity)");
  }

  @Test
  void theFixturesCoverEveryTypeAndBothVersions() {
    List<String> names = new ArrayList<>();
    fixtureFiles().forEach(a -> names.add(a.get()[0] + "/" + a.get()[1]));
    for (String version : Fixtures.VERSIONS) {
      for (String type : List.of("counter_", "gauge_", "histogram_", "summary_")) {
        assertTrue(
            names.stream().anyMatch(n -> n.startsWith(version) && n.contains("/" + type)),
            version + " " + type + " in " + names);
      }
    }
  }

  private void replay(Path python, FormatVersion format, String fileName) throws IOException {
    String base = fileName.substring(0, fileName.length() - ".db".length());
    String[] parts = base.split("_");
    String type = parts[0];
    long pid = Long.parseLong(parts[parts.length - 1]);
    GaugeMode mode = type.equals("gauge") ? GaugeMode.fromFileToken(parts[1]) : null;
    List<PyFile.Entry> entries = PyFile.read(python, format);

    MutableClock clock = new MutableClock();
    try (MetricsRegistry registry =
        MetricsRegistry.builder(dir).pid(pid).formatVersion(format).clock(clock).open()) {
      Replay replay = new Replay(registry, type, mode, entries);
      replay.createSeriesInOrder();
      replay.setValues(clock);
    }
  }

  /** One series (family + labels without le) and the fixture entries that belong to it. */
  private static final class Series {
    final String family;
    final List<String> labelNames;
    final List<String> labelValues;
    final List<JsonNode> keys = new ArrayList<>();
    final List<PyFile.Entry> entries = new ArrayList<>();
    Object child;

    Series(String family, List<String> labelNames, List<String> labelValues) {
      this.family = family;
      this.labelNames = labelNames;
      this.labelValues = labelValues;
    }
  }

  private static final class Replay {
    private final MetricsRegistry registry;
    private final String type;
    private final GaugeMode mode;
    private final List<PyFile.Entry> entries;
    private final Map<String, Object> metrics = new LinkedHashMap<>();
    private final Map<String, Series> series = new LinkedHashMap<>();

    Replay(MetricsRegistry registry, String type, GaugeMode mode, List<PyFile.Entry> entries) {
      this.registry = registry;
      this.type = type;
      this.mode = mode;
      this.entries = entries;
    }

    /** Registers each family and creates each child where its first entry appears. */
    void createSeriesInOrder() throws IOException {
      for (PyFile.Entry entry : entries) {
        JsonNode key = JSON.readTree(entry.key());
        String family = key.get(0).asText();
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        for (Iterator<String> it = key.get(2).fieldNames(); it.hasNext(); ) {
          String name = it.next();
          if (!name.equals("le")) {
            names.add(name);
            values.add(key.get(2).get(name).asText());
          }
        }
        Series s =
            series.computeIfAbsent(family + " " + values, k -> new Series(family, names, values));
        s.keys.add(key);
        s.entries.add(entry);
        if (s.child == null) {
          Object metric = metrics.computeIfAbsent(family, f -> register(f, key, names));
          s.child = names.isEmpty() ? metric : labels(metric, values);
        }
      }
    }

    private Object register(String family, JsonNode key, List<String> labelNames) {
      String help = key.get(3).asText();
      String[] labels = labelNames.toArray(new String[0]);
      switch (type) {
        case "counter":
          return Counter.builder(family).help(help).labelNames(labels).register(registry);
        case "gauge":
          return Gauge.builder(family).help(help).labelNames(labels).mode(mode).register(registry);
        case "summary":
          return Summary.builder(family).help(help).labelNames(labels).register(registry);
        case "histogram":
          return Histogram.builder(family)
              .help(help)
              .labelNames(labels)
              .buckets(bucketsOf(family))
              .register(registry);
        default:
          throw new IllegalArgumentException(type);
      }
    }

    /** The bounds of a family, from the le labels of its first series, in file order. */
    private double[] bucketsOf(String family) {
      List<Double> bounds = new ArrayList<>();
      Map<String, String> firstSeries = null;
      for (PyFile.Entry entry : entries) {
        JsonNode key = readTree(entry.key());
        JsonNode le = key.get(2).get("le");
        if (!key.get(0).asText().equals(family) || le == null) {
          continue;
        }
        if (firstSeries == null) {
          firstSeries = seriesLabels(key);
        }
        if (seriesLabels(key).equals(firstSeries)) {
          bounds.add(parseLe(le.asText()));
        }
      }
      return bounds.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static Object labels(Object metric, List<String> values) {
      String[] v = values.toArray(new String[0]);
      if (metric instanceof Counter) {
        return ((Counter) metric).labels(v);
      } else if (metric instanceof Gauge) {
        return ((Gauge) metric).labels(v);
      } else if (metric instanceof Summary) {
        return ((Summary) metric).labels(v);
      }
      return ((Histogram) metric).labels(v);
    }

    /** Brings every series to the fixture's values through the public update methods. */
    void setValues(MutableClock clock) {
      for (Series s : series.values()) {
        switch (type) {
          case "counter":
            counter(s);
            break;
          case "gauge":
            gauge(s, clock);
            break;
          case "summary":
            summary(s);
            break;
          default:
            histogram(s);
        }
      }
    }

    private void counter(Series s) {
      double value = s.entries.get(0).value();
      if (value == 0) {
        return;
      }
      if (s.child instanceof Counter) {
        ((Counter) s.child).inc(value);
      } else {
        ((Counter.Child) s.child).inc(value);
      }
    }

    private void gauge(Series s, MutableClock clock) {
      PyFile.Entry e = s.entries.get(0);
      if (mode.mergeRule() == GaugeMode.MOSTRECENT) {
        if (e.timestamp() == 0) {
          return;
        }
        clock.setUnixSeconds(e.timestamp());
        assertEquals(e.timestamp(), registry.unixSeconds(), "clock round trip");
      } else if (e.value() == 0) {
        return;
      }
      if (s.child instanceof Gauge) {
        ((Gauge) s.child).set(e.value());
      } else {
        ((Gauge.Child) s.child).set(e.value());
      }
    }

    private void summary(Series s) {
      double count = s.entries.get(0).value();
      double sum = s.entries.get(1).value();
      if (count == 0) {
        assertEquals(0.0, sum, "a summary with count 0 has sum 0");
        return;
      }
      observe(s.child, sum);
      for (int i = 1; i < count; i++) {
        observe(s.child, 0.0);
      }
    }

    private void histogram(Series s) {
      double sum = s.entries.get(0).value();
      double[] bounds = new double[s.entries.size() - 1];
      double[] counts = new double[bounds.length];
      for (int i = 0; i < bounds.length; i++) {
        bounds[i] = parseLe(s.keys.get(i + 1).get(2).get("le").asText());
        counts[i] = s.entries.get(i + 1).value();
      }
      for (double v : Observations.solve(bounds, counts, sum)) {
        observe(s.child, v);
      }
    }

    private static void observe(Object child, double v) {
      if (child instanceof Summary) {
        ((Summary) child).observe(v);
      } else if (child instanceof Summary.Child) {
        ((Summary.Child) child).observe(v);
      } else if (child instanceof Histogram) {
        ((Histogram) child).observe(v);
      } else {
        ((Histogram.Child) child).observe(v);
      }
    }
  }

  private static double parseLe(String le) {
    return le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
  }

  private static JsonNode readTree(String key) {
    try {
      return JSON.readTree(key);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The labels of a key without {@code le}: identifies the series of a histogram bucket. */
  private static Map<String, String> seriesLabels(JsonNode key) {
    Map<String, String> labels = new TreeMap<>();
    key.get(2).properties().forEach(f -> labels.put(f.getKey(), f.getValue().asText()));
    labels.remove("le");
    return labels;
  }
}
