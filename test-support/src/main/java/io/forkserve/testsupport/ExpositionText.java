package io.forkserve.testsupport;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one exposition parser of the tests. Reads the text format 0.0.4 (and the sample lines of
 * OpenMetrics) into comparable samples; a malformed line fails. Lookups of one series fail when
 * the series is absent, so a renamed or dropped metric cannot pass as 0.
 */
public final class ExpositionText {
  /** One sample with its family facts; counters named as in OpenMetrics (no _total). */
  public record Key(String family, String type, String help, String sample, String labels) {}

  /** One parsed sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private ExpositionText() {}

  /** One sample line: {@code name{a="x"} value [timestamp]}; fails when malformed. */
  public static Sample parseLine(String line) {
    int brace = line.indexOf('{');
    int firstSpace = line.indexOf(' ');
    Map<String, String> labels = new TreeMap<>();
    int end;
    String name;
    if (brace >= 0 && (firstSpace < 0 || brace < firstSpace)) {
      name = line.substring(0, brace);
      end = parseLabels(line, brace, labels);
    } else {
      if (firstSpace < 0) {
        throw new AssertionError("no value: " + line);
      }
      name = line.substring(0, firstSpace);
      end = firstSpace;
    }
    if (name.isEmpty() || end >= line.length() || line.charAt(end) != ' ') {
      throw new AssertionError("malformed sample line: " + line);
    }
    String rest = line.substring(end + 1).trim();
    int space = rest.indexOf(' ');
    return new Sample(name, labels, parseValue(space < 0 ? rest : rest.substring(0, space)));
  }

  /** Samples of an exposition: {@code name{a=x, b=y}} (see {@link SampleKeys}) to value. */
  public static Map<String, Double> samples(String exposition) {
    Map<String, Double> samples = new TreeMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Sample s = parseLine(line);
      if (samples.put(SampleKeys.of(s.name(), s.labels()), s.value()) != null) {
        throw new AssertionError("duplicate sample: " + line);
      }
    }
    return samples;
  }

  /**
   * The value of the one sample named {@code name} whose labels include {@code labelPairs}
   * (alternating names and values). Fails when no sample or more than one matches.
   */
  public static double value(String exposition, String name, String... labelPairs) {
    Map<String, String> wanted = new TreeMap<>();
    for (int i = 0; i < labelPairs.length; i += 2) {
      wanted.put(labelPairs[i], labelPairs[i + 1]);
    }
    List<Sample> matches = new ArrayList<>();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty() || line.startsWith("#") || !line.startsWith(name)) {
        continue;
      }
      Sample s = parseLine(line);
      if (s.name().equals(name) && s.labels().entrySet().containsAll(wanted.entrySet())) {
        matches.add(s);
      }
    }
    if (matches.size() != 1) {
      throw new AssertionError(
          (matches.isEmpty() ? "no sample " : "several samples ") + name + wanted + ": " + matches);
    }
    return matches.get(0).value();
  }

  /** True when a sample named {@code name} with {@code labelPairs} among its labels exists. */
  public static boolean has(String exposition, String name, String... labelPairs) {
    try {
      value(exposition, name, labelPairs);
      return true;
    } catch (AssertionError e) {
      return false;
    }
  }

  /** HELP texts by family, unescaped. */
  public static Map<String, String> help(String exposition) {
    Map<String, String> help = new TreeMap<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("# HELP ")) {
        String[] p = line.substring(7).split(" ", 2);
        help.put(p[0], unescape(p.length > 1 ? p[1] : ""));
      }
    }
    return help;
  }

  /**
   * Rows of a text 0.0.4 exposition keyed with their family facts; fails on a malformed line, a
   * sample outside its family or a duplicate.
   */
  public static Map<Key, Double> rows(String text) {
    Map<Key, Double> rows = new TreeMap<>(ExpositionText::compare);
    Map<String, String> help = new TreeMap<>();
    Map<String, String> type = new TreeMap<>();
    String family = null;
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# HELP ")) {
        String[] p = line.substring(7).split(" ", 2);
        help.put(p[0], unescape(p.length > 1 ? p[1] : ""));
        continue;
      }
      if (line.startsWith("# TYPE ")) {
        String[] p = line.substring(7).split(" ", 2);
        type.put(p[0], p[1]);
        family = p[0];
        continue;
      }
      if (line.startsWith("#")) {
        throw new AssertionError("unexpected comment: " + line);
      }
      Sample s = parseLine(line);
      if (family == null || !s.name().startsWith(family.replaceAll("_total$", ""))) {
        throw new AssertionError("sample outside its family: " + line);
      }
      String t = type.get(family);
      String name = t.equals("counter") ? family.replaceAll("_total$", "") : family;
      Key key = new Key(name, t, help.get(family), s.name(), labelString(s.labels()));
      if (rows.put(key, s.value()) != null) {
        throw new AssertionError("duplicate sample: " + line);
      }
    }
    return rows;
  }

  /**
   * Rows of an OpenMetrics exposition as Debian's python3-prometheus-client OpenMetrics parser
   * reads them (run as a subprocess).
   */
  public static Map<Key, Double> rowsByPythonOpenMetrics(byte[] exposition) throws Exception {
    String script =
        String.join(
            "\n",
            "import sys, json",
            "from prometheus_client.openmetrics.parser import text_string_to_metric_families",
            "for f in text_string_to_metric_families(sys.stdin.buffer.read().decode('utf-8')):",
            "  for s in f.samples:",
            "    print(json.dumps({'f': f.name, 't': f.type, 'h': f.documentation, 's': s.name,",
            "      'l': s.labels, 'v': repr(float(s.value))}))");
    String out = Processes.run(exposition, Tools.PYTHON, "-c", script);
    Map<Key, Double> rows = new TreeMap<>(ExpositionText::compare);
    ObjectMapper json = new ObjectMapper();
    for (String line : out.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      JsonNode n = json.readTree(line);
      Map<String, String> labels = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : n.get("l").properties()) {
        labels.put(e.getKey(), e.getValue().asText());
      }
      Key key =
          new Key(
              n.get("f").asText(),
              n.get("t").asText(),
              n.get("h").asText(),
              n.get("s").asText(),
              labelString(labels));
      rows.put(key, parseValue(n.get("v").asText().replace("inf", "Inf").replace("nan", "NaN")));
    }
    return rows;
  }

  /** Keys absent from one map or values differing beyond rounding, as readable lines. */
  public static List<String> differences(Map<Key, Double> expected, Map<Key, Double> actual) {
    List<String> out = new ArrayList<>();
    expected.forEach(
        (k, v) -> {
          Double a = actual.get(k);
          if (a == null) {
            out.add("missing: " + k + " " + v);
          } else if (!close(v, a)) {
            out.add("value: " + k + " expected " + v + " got " + a);
          }
        });
    actual.forEach(
        (k, v) -> {
          if (!expected.containsKey(k)) {
            out.add("unexpected: " + k + " " + v);
          }
        });
    return out;
  }

  /** Equal, or equal up to the rounding of summing in another order. */
  public static boolean close(double e, double a) {
    return Double.compare(e, a) == 0
        || Math.abs(e - a) <= 1e-12 * Math.max(Math.abs(e), Math.abs(a));
  }

  /** A sample value as the exposition spells it (with +Inf, -Inf and NaN). */
  public static double parseValue(String s) {
    switch (s) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        return Double.parseDouble(s);
    }
  }

  /** Parses the label set opening at {@code open} into {@code labels}; returns past its '}'. */
  private static int parseLabels(String line, int open, Map<String, String> labels) {
    int i = open + 1;
    while (i < line.length() && line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      if (eq < 0 || eq + 1 >= line.length() || line.charAt(eq + 1) != '"') {
        throw new AssertionError("bad labels: " + line);
      }
      String name = line.substring(i, eq);
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; j < line.length() && line.charAt(j) != '"'; j++) {
        char c = line.charAt(j);
        if (c == '\\') {
          char e = line.charAt(++j);
          v.append(e == 'n' ? '\n' : e);
        } else {
          v.append(c);
        }
      }
      if (j >= line.length()) {
        throw new AssertionError("unterminated label value: " + line);
      }
      if (labels.put(name, v.toString()) != null) {
        throw new AssertionError("duplicate label: " + line);
      }
      i = j + 1;
      if (i < line.length() && line.charAt(i) == ',') {
        i++;
      }
    }
    if (i >= line.length()) {
      throw new AssertionError("no closing brace: " + line);
    }
    return i + 1;
  }

  private static String labelString(Map<String, String> sorted) {
    StringBuilder sb = new StringBuilder();
    sorted.forEach(
        (k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=').append(v));
    return sb.toString();
  }

  private static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char e = s.charAt(++i);
        sb.append(e == 'n' ? '\n' : e);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static int compare(Key a, Key b) {
    return a.toString().compareTo(b.toString());
  }
}
