package io.forkserve.micrometer;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Text exposition reduced to families: name, type, sample suffixes and label names. */
final class Families2Text {
  private static final Pattern TYPE = Pattern.compile("# TYPE (\\S+) (\\S+)");
  private static final Pattern SAMPLE =
      Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");

  private Families2Text() {}

  /** The merged text exposition of a multiprocess directory. */
  static String scrape(Path dir) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Exposition.write(new DirectoryScraper(dir).scrape(), ExpositionFormat.TEXT, out);
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
      Matcher s = SAMPLE.matcher(line);
      if (current != null && !line.startsWith("#") && s.matches()) {
        samples.get(current).add(s.group(1));
        if (s.group(3) != null) {
          Matcher l = LABEL.matcher(s.group(3));
          while (l.find()) {
            if (!java.util.List.of(ignored).contains(l.group(1))) {
              labels.get(current).add(l.group(1));
            }
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

  /** The value of the sample line starting {@code series + " "}, or NaN if none. */
  static double value(String text, String series) {
    for (String line : text.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return Double.NaN;
  }
}
