package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The tests start processes through test-support's launchers ({@link Processes} for commands and
 * helper JVMs, {@link ServerProcess} for servers), and only in {@code *IT} classes, which failsafe
 * runs (issue 9). Read from the sources of every module's tests.
 */
class ProcessLaunchersTest {
  /** Code that starts a process. */
  static final Pattern STARTS =
      Pattern.compile(
          "\\bProcessBuilder\\b|\\bRuntime\\s*\\.\\s*getRuntime\\(\\)\\s*\\.\\s*exec\\b"
              + "|\\bProcesses\\s*\\.\\s*(?:exec|run|start|startJava)\\b"
              + "|\\bServerProcess\\s*\\.\\s*(?:start|startUnder|run|launch)\\b");

  /** Code that builds a process of its own instead of going through a launcher. */
  static final Pattern OWN_BUILDER = Pattern.compile("\\bnew\\s+ProcessBuilder\\b");

  /**
   * The places that build their own, by path from the project root: the two launchers, the
   * page's shell of DocsIT (the subject, waited for as long as it prints) and a child the
   * scripted API starts inside a worker, not in the test JVM.
   */
  static final Set<String> OWN_BUILDER_ALLOWED =
      Set.of(
          "test-support/src/main/java/io/forkserve/testsupport/Processes.java",
          "test-support/src/main/java/io/forkserve/testsupport/ServerProcess.java",
          "examples/src/test/java/io/forkserve/examples/DocsIT.java",
          "runtime/src/test/java/io/forkserve/runtime/ScriptedApi.java");

  @Test
  void unitTests_startNoProcess_andOnlyTheLaunchersBuildOne() throws Exception {
    Path root = Fixtures.projectRoot();
    Set<String> unitTestsStarting = new TreeSet<>();
    Set<String> ownBuilders = new TreeSet<>();
    int files = 0;
    for (Path f : sources(root)) {
      files++;
      String relative = root.relativize(f).toString();
      String code = PackageGraph.code(Files.readString(f));
      if (f.getFileName().toString().endsWith("Test.java") && STARTS.matcher(code).find()) {
        unitTestsStarting.add(relative);
      }
      if (OWN_BUILDER.matcher(code).find() && !OWN_BUILDER_ALLOWED.contains(relative)) {
        ownBuilders.add(relative);
      }
    }
    assertTrue(files > 100, "read " + files + " files");
    assertEquals(Set.of(), unitTestsStarting, "*Test classes that start a process (make it *IT)");
    assertEquals(Set.of(), ownBuilders, "tests that build a process outside test-support");
  }

  @Test
  void startsInCode_areFound_andNamesInCommentsAndStrings_areNot() {
    assertTrue(STARTS.matcher("Processes.exec(LIMIT, command)").find());
    assertTrue(STARTS.matcher("ServerProcess.start(\"--workers\", \"2\")").find());
    assertTrue(STARTS.matcher("Runtime.getRuntime().exec(c)").find());
    String quiet = "// new ProcessBuilder(x)\nString s = \"Processes.exec(\";\nread(log);";
    assertFalse(STARTS.matcher(PackageGraph.code(quiet)).find(), PackageGraph.code(quiet));
  }

  /** Every module's test sources, and test-support's own main sources (the launchers). */
  private static List<Path> sources(Path root) throws Exception {
    List<Path> dirs = new ArrayList<>();
    try (Stream<Path> modules = Files.list(root)) {
      modules.map(m -> m.resolve("src/test/java")).filter(Files::isDirectory).forEach(dirs::add);
    }
    dirs.add(root.resolve("test-support/src/main/java"));
    List<Path> all = new ArrayList<>();
    for (Path dir : dirs) {
      try (Stream<Path> walk = Files.walk(dir)) {
        walk.filter(p -> p.toString().endsWith(".java")).forEach(all::add);
      }
    }
    return all;
  }
}
