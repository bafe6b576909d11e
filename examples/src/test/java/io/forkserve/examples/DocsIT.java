package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the shell blocks of {@code README.md} and every {@code docs/*.md} as a user would: each
 * page in one {@code bash} started from the repository root, its {@code sh} blocks in order (see
 * {@link ShellBlocks}), against the real servers the page itself starts.
 */
class DocsIT {
  static final Path ROOT = Fixtures.projectRoot();
  /** The ports the pages' commands use, as written: 18080 for bin/serve, 19464 for bin/metrics. */
  static final List<Integer> PORTS = List.of(18080, 19464);
  /** A page whose commands print nothing for this long is taken as hung. */
  static final long QUIET_LIMIT_MILLIS = TimeUnit.SECONDS.toMillis(180);
  /**
   * Whether each page can run in a network namespace of its own ({@code unshare --net}, as root),
   * with only a loopback: then the ports it uses as written are free whatever else runs on the
   * machine. Elsewhere the pages share the machine's loopback and the test checks the ports first.
   */
  static final boolean OWN_NETWORK = canUnshareNetwork();
  /**
   * How many pages run at once when each has a network of its own (they share nothing else: each
   * gets its own TMPDIR and metrics directories). Their servers spend much of a page waiting on
   * start-ups and requests, so two pages keep 2 cores busier than one; {@code
   * -Dforkserve.docs.pages=1} runs them one by one.
   */
  static final int PAGES_AT_ONCE = Integer.getInteger("forkserve.docs.pages", 2);

  @TestFactory
  Stream<DynamicTest> everyPageRunsAsWritten() throws IOException {
    List<Path> pages = new ArrayList<>();
    pages.add(ROOT.resolve("README.md"));
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    assertTrue(pages.size() > 1, "no pages under " + ROOT.resolve("docs"));
    if (!OWN_NETWORK || PAGES_AT_ONCE <= 1) {
      // the pages share the machine's ports 18080 and 19464: one at a time
      return pages.stream()
          .map(page -> DynamicTest.dynamicTest(ROOT.relativize(page).toString(), () -> run(page)));
    }
    // Started now, longest first (most blocks; the page with most is the suite's long pole),
    // each reported as its own test in page order when it ends.
    ExecutorService pool =
        Executors.newFixedThreadPool(
            PAGES_AT_ONCE,
            task -> {
              Thread thread = new Thread(task, "docs-page");
              thread.setDaemon(true);
              return thread;
            });
    Map<Path, Future<?>> running = new HashMap<>();
    pages.stream()
        .sorted(Comparator.comparingLong(DocsIT::runnableBlocks).reversed())
        .forEach(page -> running.put(page, pool.submit(() -> {
          run(page);
          return null;
        })));
    pool.shutdown();
    return pages.stream()
        .map(page -> DynamicTest.dynamicTest(
            ROOT.relativize(page).toString(), () -> awaitPage(running.get(page))));
  }

  private static long runnableBlocks(Path page) {
    try {
      return ShellBlocks.parse(Files.readString(page)).stream()
          .filter(ShellBlocks.Block::runs).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The outcome of a page started by the factory: its own assertion error or exception. No
   * deadline here: {@link #run} ends each page that stops printing ({@link #QUIET_LIMIT_MILLIS}).
   */
  private static void awaitPage(Future<?> page) throws Throwable {
    try {
      page.get();
    } catch (ExecutionException e) {
      throw e.getCause();
    }
  }

  static void run(Path page) throws Exception {
    List<ShellBlocks.Block> blocks = ShellBlocks.parse(Files.readString(page));
    if (blocks.stream().noneMatch(ShellBlocks.Block::isShell)) {
      return; // a page without commands
    }
    assertTrue(
        blocks.stream().anyMatch(ShellBlocks.Block::runs),
        page + " shows shell commands but marks every one no-test: DocsIT runs none of them");
    if (!OWN_NETWORK) {
      for (int port : PORTS) {
        assertPortFree(port);
      }
    }
    Path dir = Files.createTempDirectory("docs-it");
    try {
      Path script = Files.writeString(dir.resolve("page.sh"), ShellBlocks.script(blocks));
      Path log = dir.resolve("page.log");
      List<String> command = new ArrayList<>(List.of("setsid"));
      if (OWN_NETWORK) {
        // the page's loopback is its own: another build's servers cannot hold its ports
        command.addAll(List.of("unshare", "--net", "--", "bash", "-c", "ip link set lo up"
            + " && exec bash \"$0\"", script.toString()));
      } else {
        command.addAll(List.of("bash", script.toString()));
      }
      // Not Processes.exec: the page's shell is the subject, not a tool. It runs in the root with
      // a TMPDIR of its own, and is waited for as long as it prints (awaitExit), not to a limit.
      ProcessBuilder builder =
          new ProcessBuilder(command)
              .directory(ROOT.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .redirectInput(new File("/dev/null"));
      builder.environment().remove("METRICS_MULTIPROC_DIR");
      builder.environment().remove("PROMETHEUS_MULTIPROC_DIR");
      builder.environment().put("TMPDIR", dir.toString());
      // setsid runs bash as the leader of a new process group: every server the page starts is
      // in it, and one kill of the group at the end leaves nothing behind.
      Process shell = builder.start();
      try {
        int exit = awaitExit(shell, log);
        assertEquals(0, exit, () -> report(page, log, "exited with " + exit));
      } finally {
        killGroup(shell.pid());
      }
    } finally {
      MultiprocDirectory.deleteTree(dir);
    }
  }

  /** Waits for the page's shell, as long as it keeps printing. */
  static int awaitExit(Process shell, Path log) throws IOException, InterruptedException {
    long size = -1;
    long lastProgress = System.nanoTime();
    while (!shell.waitFor(1, TimeUnit.SECONDS)) {
      long now = Files.size(log);
      if (now != size) {
        size = now;
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress
          > TimeUnit.MILLISECONDS.toNanos(QUIET_LIMIT_MILLIS)) {
        fail(report(log.getParent(), log, "printed nothing for " + QUIET_LIMIT_MILLIS + " ms"));
      }
    }
    return shell.exitValue();
  }

  static String report(Path page, Path log, String what) {
    List<String> lines;
    try {
      lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      lines = List.of("(no log: " + e + ")");
    }
    String block =
        lines.stream()
            .filter(l -> l.startsWith("::docs block at line "))
            .reduce((a, b) -> b)
            .map(l -> l.substring("::docs block at ".length()))
            .orElse("before the first block");
    String tail =
        lines.subList(Math.max(0, lines.size() - 60), lines.size()).stream()
            .collect(Collectors.joining("\n"));
    return page + ": the shell " + what + " in the block at " + block + "; output ends:\n" + tail;
  }

  static boolean canUnshareNetwork() {
    try {
      List<String> probe = List.of("unshare", "--net", "--", "ip", "link", "set", "lo", "up");
      return Processes.exec(Duration.ofSeconds(30), probe).exit() == 0;
    } catch (IOException e) {
      return false;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static void assertPortFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
    } catch (IOException e) {
      fail("port " + port + " is in use; the documented commands need it free: " + e);
    }
  }

  /** Kills every process of the group and waits until none is left (their ports are free). */
  static void killGroup(long pgid) throws Exception {
    signalGroup("-KILL", pgid);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (signalGroup("-0", pgid)) {
      assertTrue(System.nanoTime() < deadline, "process group " + pgid + " survives SIGKILL");
      Thread.sleep(50); // nothing to await: the kernel tells no one when a group empties
    }
  }

  /** Sends a signal to a process group; true if some process received it. */
  static boolean signalGroup(String signal, long pgid) throws Exception {
    List<String> kill = List.of("kill", signal, "--", "-" + pgid);
    return Processes.exec(Duration.ofSeconds(30), kill).exit() == 0;
  }
}
