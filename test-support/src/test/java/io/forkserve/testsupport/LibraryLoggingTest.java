package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * One way to log (issue 9): library code logs through {@link System.Logger}, never by printing
 * to the process's standard streams or through java.util.logging. The status lines a user reads
 * ({@code forkserve: ready in ...}) go to the streams a process's entry point hands to the code
 * that writes them; only those entry points name {@code System.out} and {@code System.err}.
 */
class LibraryLoggingTest {
  /** The modules whose main sources are library code. */
  static final List<String> MODULES = List.of("metrics-store", "worker", "micrometer", "runtime");

  /** What a library class must not name in its code (comments and strings aside). */
  static final Pattern FORBIDDEN =
      Pattern.compile("\\bSystem\\s*\\.\\s*(?:out|err)\\b|\\bjava\\.util\\.logging\\b"
          + "|\\.printStackTrace\\(\\s*\\)");

  /**
   * The one place each rule allows it, by path under a module's src/main/java: the entry points
   * of bin/serve, bin/metrics and the worker process own their standard streams (and hand them
   * on), and the front quiets Undertow's java.util.logging loggers.
   */
  static final Map<String, String> ALLOWED =
      Map.of(
          "io/forkserve/runtime/Serve.java", "System.out|System.err",
          "io/forkserve/runtime/cli/MetricsCli.java", "System.out|System.err",
          "io/forkserve/worker/internal/WorkerMain.java", "System.err",
          "io/forkserve/runtime/front/FrontServer.java", "java.util.logging");

  @Test
  void libraryCode_logsOnlyThroughSystemLogger() throws Exception {
    Path root = Fixtures.projectRoot();
    Set<String> found = new TreeSet<>();
    Set<String> allowedSeen = new TreeSet<>();
    int files = 0;
    for (String module : MODULES) {
      Path main = root.resolve(module).resolve("src/main/java");
      try (Stream<Path> all = Files.walk(main)) {
        for (Path f : (Iterable<Path>) all::iterator) {
          if (!f.toString().endsWith(".java")) {
            continue;
          }
          files++;
          String relative = main.relativize(f).toString();
          for (String use : uses(Files.readString(f))) {
            if (allowed(relative, use)) {
              allowedSeen.add(relative);
            } else {
              found.add(module + "/src/main/java/" + relative + ": " + use);
            }
          }
        }
      }
    }
    assertTrue(files > 100, "read " + files + " files");
    assertEquals(Set.of(), found, "library code that prints or uses java.util.logging");
    assertEquals(ALLOWED.keySet(), allowedSeen, "allowed places that no longer need it");
  }

  @Test
  void usesInCode_areFound_andNamesInCommentsAndStrings_areNot() {
    String source =
        """
        package x;
        import java.util.logging.Logger;
        /** Never System.err. */
        class A {
          String s = "System.out";
          void f(Exception e) {
            System . err.println(s); // System.out
            e.printStackTrace();
            e.printStackTrace(new java.io.PrintWriter(w));
          }
        }
        """;
    assertEquals(
        List.of("java.util.logging", "System . err", "printStackTrace()"), uses(source));
  }

  /** What {@code source} names of {@link #FORBIDDEN}, in order. */
  static List<String> uses(String source) {
    Matcher m = FORBIDDEN.matcher(PackageGraph.code(source));
    return m.results().map(r -> r.group().replaceFirst("^\\.", "")).toList();
  }

  private static boolean allowed(String relative, String use) {
    String rule = ALLOWED.get(relative);
    return rule != null && List.of(rule.split("\\|")).contains(use.replaceAll("\\s", ""));
  }
}
