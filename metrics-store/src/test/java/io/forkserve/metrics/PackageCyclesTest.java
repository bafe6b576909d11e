package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The packages of metrics-store depend on each other one way only (issue 9). */
class PackageCyclesTest {
  private static final Path SOURCES = Path.of("src/main/java");
  private static final String ROOT = "io.forkserve.metrics";
  private static final Pattern REFERENCE =
      Pattern.compile("\\bio\\.forkserve\\.metrics((?:\\.[a-z_][a-z0-9_]*)*)\\.[A-Z]");

  @Test
  void packageGraph_hasNoCycle() throws IOException {
    Map<String, Set<String>> graph = graph();
    assertTrue(graph.size() >= 7, "too few packages found: " + graph.keySet());
    List<String> cycle = findCycle(graph);
    assertEquals(List.of(), cycle, "package cycle in metrics-store: " + String.join(" -> ", cycle));
  }

  @Test
  void findCycle_findsOne() {
    Map<String, Set<String>> graph = new TreeMap<>();
    graph.put("a", Set.of("b"));
    graph.put("b", Set.of("c"));
    graph.put("c", Set.of("a"));
    assertEquals(List.of("a", "b", "c", "a"), findCycle(graph));
  }

  /** Each package's references (imports and qualified names) to other metrics-store packages. */
  private static Map<String, Set<String>> graph() throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    List<Path> files;
    try (Stream<Path> s = Files.walk(SOURCES.resolve(ROOT.replace('.', '/')))) {
      files = s.filter(p -> p.toString().endsWith(".java")).toList();
    }
    for (Path file : files) {
      String pkg = SOURCES.relativize(file.getParent()).toString().replace('/', '.');
      Set<String> deps = graph.computeIfAbsent(pkg, k -> new TreeSet<>());
      Matcher m = REFERENCE.matcher(Files.readString(file, StandardCharsets.UTF_8));
      while (m.find()) {
        String target = ROOT + m.group(1);
        if (!target.equals(pkg)) {
          deps.add(target);
        }
      }
    }
    return graph;
  }

  /** A cycle as a path that ends where it starts, or an empty list. */
  private static List<String> findCycle(Map<String, Set<String>> graph) {
    Set<String> done = new TreeSet<>();
    for (String start : graph.keySet()) {
      List<String> cycle = visit(start, graph, new ArrayList<>(), done);
      if (!cycle.isEmpty()) {
        return cycle;
      }
    }
    return List.of();
  }

  private static List<String> visit(
      String node, Map<String, Set<String>> graph, List<String> path, Set<String> done) {
    int seen = path.indexOf(node);
    if (seen >= 0) {
      List<String> cycle = new ArrayList<>(path.subList(seen, path.size()));
      cycle.add(node);
      return cycle;
    }
    if (done.contains(node)) {
      return List.of();
    }
    path.add(node);
    for (String next : graph.getOrDefault(node, Set.of())) {
      List<String> cycle = visit(next, graph, path, done);
      if (!cycle.isEmpty()) {
        return cycle;
      }
    }
    path.remove(path.size() - 1);
    done.add(node);
    return List.of();
  }
}
