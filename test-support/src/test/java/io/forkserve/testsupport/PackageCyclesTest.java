package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No package cycles (issue 9, STYLE.md item 1): the main sources of every module, read as one
 * graph, so that a cycle across modules (a split package) counts too.
 */
class PackageCyclesTest {
  @Test
  void mainSourcesOfEveryModule_haveNoPackageCycle() throws Exception {
    PackageGraph graph = mainSources();
    assertTrue(graph.edges.containsKey("io.forkserve.runtime"), graph.edges.keySet().toString());
    assertTrue(
        graph.edges.get("io.forkserve.runtime").contains("io.forkserve.metrics.merge"),
        graph.edges.get("io.forkserve.runtime").toString());
    assertEquals(List.of(), graph.cycles(), "packages that depend on each other");
  }

  /**
   * The front and the worker share the frame codec ({@code worker.channel}) by design; the runtime
   * never reaches into the worker process's own internals (issue 9).
   */
  @Test
  void theRuntime_namesNoWorkerInternals() throws Exception {
    Map<String, Set<String>> edges = mainSources().edges;
    Set<String> reaching = new TreeSet<>();
    edges.forEach(
        (from, to) -> {
          if (from.startsWith("io.forkserve.runtime")
              && to.contains("io.forkserve.worker.internal")) {
            reaching.add(from);
          }
        });
    assertTrue(edges.get("io.forkserve.worker.internal").contains("io.forkserve.worker.channel"));
    assertEquals(Set.of(), reaching, "runtime packages that import worker.internal");
  }

  private static PackageGraph mainSources() throws IOException {
    PackageGraph graph = new PackageGraph();
    int modules = 0;
    try (Stream<Path> dirs = Files.list(Fixtures.projectRoot())) {
      for (Path main : (Iterable<Path>) dirs.map(d -> d.resolve("src/main/java"))::iterator) {
        if (Files.isDirectory(main)) {
          graph.addTree(main);
          modules++;
        }
      }
    }
    assertTrue(modules >= 6, "read " + modules + " modules");
    return graph;
  }

  @Test
  void aCycleThroughImportsOrQualifiedNames_isFound() {
    PackageGraph graph = new PackageGraph();
    graph.add("package io.forkserve.a;\nimport io.forkserve.b.B;\nclass A {}");
    graph.add("package io.forkserve.b;\nclass B { io.forkserve.c.C c; }");
    graph.add("package io.forkserve.c;\nimport static io.forkserve.a.A.f;\nclass C {}");
    graph.add("package io.forkserve.d;\nimport io.forkserve.a.A;\nclass D {}");
    assertEquals(
        List.of(Set.of("io.forkserve.a", "io.forkserve.b", "io.forkserve.c")), graph.cycles());
  }

  @Test
  void namesInCommentsStringsAndTheOwnPackage_areNoEdges() {
    PackageGraph graph = new PackageGraph();
    graph.add("package io.forkserve.a;\n/** See {@link io.forkserve.b.B}. */\nclass A {"
        + " io.forkserve.a.A self; // io.forkserve.b.B\n"
        + " String s = \"io.forkserve.b.B // \\\" io.forkserve.b.B\";\n}");
    graph.add("package io.forkserve.b;\nimport io.forkserve.a.*;\nclass B {}");
    assertEquals(Set.of(), graph.edges.get("io.forkserve.a"));
    assertEquals(Set.of("io.forkserve.a"), graph.edges.get("io.forkserve.b"));
    assertEquals(List.of(), graph.cycles());
  }
}
