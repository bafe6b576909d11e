package io.forkserve.micrometer;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.SampleKeys;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Text exposition reduced to families: name, type, sample suffixes and label names. */
final class Families2Text {
  private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");

  private Families2Text() {}

  /** The merged text exposition of a multiprocess directory. */
  static String scrape(Path dir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(DirectoryScraper.scrapeOnce(dir), ExpositionFormat.TEXT, out);
    return out.toString(StandardCharsets.UTF_8);
  }

  /**
   * Family name to "type; sample names; label names" (labels {@code ignored} left out), from a text
   * exposition.
   */
  static Map<String, String> families(String text, String... ignored) {
    Map<String, String> types = new TreeMap<>();
    Map<String, TreeSet<String>> samples = new TreeMap<>();
    Map<String, TreeSet<String>> labels = new TreeMap<>();
    String current = null;
    for (String line : text.split("\n")) {
      Matcher t = TYPE.matcher(line);
      if (t.matches()) {
        current = t.group(1);
        types.put(current, t.group(2));
        samples.put(current, new TreeSet<>());
        labels.put(current, new TreeSet<>());
        continue;
      }
      if (current != null && !line.isEmpty() && !line.startsWith("#")) {
        ExpositionText.Sample sample = ExpositionText.parseLine(line);
        samples.get(current).add(sample.name());
        for (String label : sample.labels().keySet()) {
          if (!List.of(ignored).contains(label)) {
            labels.get(current).add(label);
          }
        }
      }
    }
    Map<String, String> result = new TreeMap<>();
    types.forEach(
        (name, type) ->
            result.put(name, type + "; " + samples.get(name) + "; " + labels.get(name)));
    return result;
  }

  /**
   * The value of the sample {@code series} ({@code name{a="x"}}, labels in any order), or NaN
   * when the exposition has no such sample.
   */
  static double value(String text, String series) {
    ExpositionText.Sample wanted = ExpositionText.parseLine(series + " 0");
    Double value = ExpositionText.samples(text).get(SampleKeys.of(wanted.name(), wanted.labels()));
    return value == null ? Double.NaN : value;
  }
}
