package io.forkserve.metrics.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's /usr/bin/python3 prometheus_client MultiProcessCollector + generate_latest on a
 * directory and parses the text exposition (format 0.0.4) into {@code sample{labels} -> value}.
 */
public final class PythonExposition {
  /** Debian's interpreter, which has python3-prometheus-client (the pyenv one has not). */
  public static final String PYTHON = "/usr/bin/python3";

  private static final String SCRIPT =
      "import sys\n"
          + "from prometheus_client import CollectorRegistry, generate_latest\n"
          + "from prometheus_client.multiprocess import MultiProcessCollector\n"
          + "r = CollectorRegistry()\n"
          + "MultiProcessCollector(r, path=sys.argv[1])\n"
          + "sys.stdout.buffer.write(generate_latest(r))\n";

  private PythonExposition() {}

  /** True when /usr/bin/python3 can import prometheus_client. */
  public static boolean available() {
    try {
      Process p = new ProcessBuilder(PYTHON, "-c", "import prometheus_client").start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  /** Python's exposition of {@code dir}, as text. */
  public static String scrape(Path dir) throws Exception {
    Path err = Files.createTempFile("python-scrape", ".err");
    try {
      Process p =
          new ProcessBuilder(PYTHON, "-c", SCRIPT, dir.toString())
              .redirectError(err.toFile())
              .start();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError("python failed: " + Files.readString(err));
      }
      return new String(out, StandardCharsets.UTF_8);
    } finally {
      Files.deleteIfExists(err);
    }
  }

  /** Samples of a text exposition: {@code name{a="x",b="y"}} (labels sorted) to value. */
  public static Map<String, Double> samples(String exposition) {
    Map<String, Double> samples = new TreeMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = brace < 0 ? line.indexOf(' ') : line.indexOf(' ', closingBrace(line, brace));
      String name = line.substring(0, brace < 0 ? space : brace);
      Map<String, String> labels =
          brace < 0 ? Map.of() : parseLabels(line.substring(brace + 1, closingBrace(line, brace)));
      samples.put(SampleKeys.of(name, labels), parseValue(line.substring(space + 1).trim()));
    }
    return samples;
  }

  /** HELP texts by family, unescaped. */
  public static Map<String, String> help(String exposition) {
    Map<String, String> help = new TreeMap<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("# HELP ")) {
        String rest = line.substring("# HELP ".length());
        int space = rest.indexOf(' ');
        help.put(rest.substring(0, space), unescape(rest.substring(space + 1)));
      }
    }
    return help;
  }

  private static int closingBrace(String line, int open) {
    boolean quoted = false;
    for (int i = open + 1; i < line.length(); i++) {
      char c = line.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == '}' && !quoted) {
        return i;
      }
    }
    throw new IllegalArgumentException("no closing brace: " + line);
  }

  private static Map<String, String> parseLabels(String s) {
    Map<String, String> labels = new TreeMap<>();
    int i = 0;
    while (i < s.length()) {
      int eq = s.indexOf('=', i);
      String name = s.substring(i, eq);
      StringBuilder value = new StringBuilder();
      int j = eq + 2;
      for (; s.charAt(j) != '"'; j++) {
        if (s.charAt(j) == '\\') {
          j++;
          value.append(s.charAt(j) == 'n' ? '\n' : s.charAt(j));
        } else {
          value.append(s.charAt(j));
        }
      }
      labels.put(name, value.toString());
      i = j + 1;
      if (i < s.length() && s.charAt(i) == ',') {
        i++;
      }
    }
    return labels;
  }

  private static String unescape(String s) {
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        char n = s.charAt(++i);
        out.append(n == 'n' ? '\n' : n);
      } else {
        out.append(c);
      }
    }
    return out.toString();
  }

  private static double parseValue(String v) {
    switch (v) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        return Double.parseDouble(v);
    }
  }
}
