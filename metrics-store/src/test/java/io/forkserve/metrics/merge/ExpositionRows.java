package io.forkserve.metrics.merge;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Test-side readers of expositions into comparable rows: a small parser of the text format
 * 0.0.4, and Debian's python3-prometheus-client OpenMetrics parser run as a subprocess.
 */
final class ExpositionRows {
  static final String PYTHON = "/usr/bin/python3";

  /** One sample with its family facts; counters named as in OpenMetrics (no _total). */
  record Key(String family, String type, String help, String sample, String labels) {}

  private ExpositionRows() {}

  /** Rows of a text 0.0.4 exposition, keyed to values; fails on a malformed line. */
  static Map<Key, Double> parseText(String text) {
    Map<Key, Double> rows = new TreeMap<>(ExpositionRows::compare);
    Map<String, String> help = new TreeMap<>();
    Map<String, String> type = new TreeMap<>();
    String family = null;
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("# HELP ")) {
        String[] p = line.substring(7).split(" ", 2);
        help.put(p[0], unescape(p.length > 1 ? p[1] : "", false));
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
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      String sample = brace >= 0 ? line.substring(0, brace) : line.substring(0, space);
      String labels = brace >= 0 ? canonicalLabels(line.substring(brace, space)) : "";
      double value = parseValue(line.substring(space + 1));
      if (family == null || !sample.startsWith(family.replaceAll("_total$", ""))) {
        throw new AssertionError("sample outside its family: " + line);
      }
      String t = type.get(family);
      String name = t.equals("counter") ? family.replaceAll("_total$", "") : family;
      Key key = new Key(name, t, help.get(family), sample, labels);
      if (rows.put(key, value) != null) {
        throw new AssertionError("duplicate sample: " + line);
      }
    }
    return rows;
  }

  /** Rows of an OpenMetrics exposition as prometheus_client's OpenMetrics parser reads it. */
  static Map<Key, Double> parseOpenMetrics(byte[] exposition) throws Exception {
    String script = String.join("\n",
        "import sys, json",
        "from prometheus_client.openmetrics.parser import text_string_to_metric_families",
        "for f in text_string_to_metric_families(sys.stdin.buffer.read().decode('utf-8')):",
        "  for s in f.samples:",
        "    print(json.dumps({'f': f.name, 't': f.type, 'h': f.documentation, 's': s.name,",
        "      'l': s.labels, 'v': repr(float(s.value))}))");
    String out = run(exposition, PYTHON, "-c", script);
    Map<Key, Double> rows = new TreeMap<>(ExpositionRows::compare);
    ObjectMapper json = new ObjectMapper();
    for (String line : out.split("\n")) {
      if (line.isEmpty()) {
        continue;
      }
      JsonNode n = json.readTree(line);
      StringBuilder labels = new StringBuilder();
      Map<String, String> sorted = new TreeMap<>();
      for (Map.Entry<String, JsonNode> e : n.get("l").properties()) {
        sorted.put(e.getKey(), e.getValue().asText());
      }
      sorted.forEach((k, v) -> labels.append(labels.length() == 0 ? "" : ",")
          .append(k).append('=').append(v));
      Key key = new Key(n.get("f").asText(), n.get("t").asText(), n.get("h").asText(),
          n.get("s").asText(), labels.toString());
      rows.put(key, parseValue(n.get("v").asText().replace("inf", "Inf").replace("nan", "NaN")));
    }
    return rows;
  }

  /** A finished process. */
  record Result(int exit, String stdout, String stderr) {}

  /** Runs a command with {@code stdin}; returns stdout, or fails with its exit code and stderr. */
  static String run(byte[] stdin, String... command) throws Exception {
    Result r = exec(stdin, command);
    if (r.exit() != 0) {
      throw new AssertionError(command[0] + " exited " + r.exit() + ": " + r.stderr() + r.stdout());
    }
    return r.stdout();
  }

  /** Runs a command with {@code stdin} and waits for it (at most a minute). */
  static Result exec(byte[] stdin, String... command) throws Exception {
    Process p = new ProcessBuilder(command).start();
    CompletableFuture<byte[]> err =
        CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
    CompletableFuture<Void> in = CompletableFuture.runAsync(() -> {
      try (OutputStream stream = p.getOutputStream()) {
        stream.write(stdin);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    byte[] out = readAll(p.getInputStream());
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command[0] + " timed out");
    }
    in.get();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
        new String(err.get(), StandardCharsets.UTF_8));
  }

  private static byte[] readAll(InputStream in) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      in.transferTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** {@code {b="x",a="y\"z"}} as {@code a=y"z,b=x}: unescaped, sorted by name. */
  static String canonicalLabels(String braced) {
    Map<String, String> sorted = new TreeMap<>();
    int i = 1;
    while (i < braced.length() - 1) {
      int eq = braced.indexOf('=', i);
      String name = braced.substring(i, eq);
      if (braced.charAt(eq + 1) != '"') {
        throw new AssertionError("bad labels: " + braced);
      }
      StringBuilder v = new StringBuilder();
      int j = eq + 2;
      for (; braced.charAt(j) != '"'; j++) {
        char c = braced.charAt(j);
        if (c == '\\') {
          char e = braced.charAt(++j);
          v.append(e == 'n' ? '\n' : e);
        } else {
          v.append(c);
        }
      }
      if (sorted.put(name, v.toString()) != null) {
        throw new AssertionError("duplicate label: " + braced);
      }
      i = j + 1;
      if (braced.charAt(i) == ',') {
        i++;
      }
    }
    StringBuilder sb = new StringBuilder();
    sorted.forEach((k, val) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append('=')
        .append(val));
    return sb.toString();
  }

  private static String unescape(String s, boolean quotes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char e = s.charAt(++i);
        sb.append(e == 'n' ? '\n' : e == '\\' ? '\\' : e == '"' && quotes ? '"' : e);
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  static double parseValue(String s) {
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

  private static int compare(Key a, Key b) {
    return a.toString().compareTo(b.toString());
  }

  /** Keys absent from one map or values differing beyond rounding, as readable lines. */
  static List<String> differences(Map<Key, Double> expected, Map<Key, Double> actual) {
    List<String> out = new ArrayList<>();
    expected.forEach((k, v) -> {
      Double a = actual.get(k);
      if (a == null) {
        out.add("missing: " + k + " " + v);
      } else if (!close(v, a)) {
        out.add("value: " + k + " expected " + v + " got " + a);
      }
    });
    actual.forEach((k, v) -> {
      if (!expected.containsKey(k)) {
        out.add("unexpected: " + k + " " + v);
      }
    });
    return out;
  }

  /** Equal, or equal up to the rounding of summing in another order. */
  static boolean close(double e, double a) {
    return Double.compare(e, a) == 0 || Math.abs(e - a) <= 1e-12 * Math.max(Math.abs(e),
        Math.abs(a));
  }
}
