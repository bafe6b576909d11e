package io.forkserve.runtime;

import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The class-data sharing archive bin/serve uses, for the servers the process tests start: most of
 * a JVM's start-up CPU is loading and verifying classes, and the suite starts hundreds of fronts
 * and workers (a 2-worker server start takes about a third less CPU with it). The archive is the
 * one {@code bin/lib/launch.sh} builds for the packaged runtime jar and {@code runtime/target/lib}
 * (built here once if missing, one builder at a time); a server then runs with that jar and
 * {@code lib} first on its class path, as bin/serve does, and the test classes after them (the
 * archive needs its class path as a prefix). Without the packaged jars (unit tests run before
 * {@code package}) or with {@code FORKSERVE_CDS=off} servers start without it, as they would with
 * an archive the JVM refuses: sharing only saves time, it changes nothing a test checks.
 */
final class ServerClassData {
  /**
   * The JVM options and class path prefix of a test server, the jar names of that prefix and the
   * front's archive (the workers' is beside it); empty, and a null archive, when there is none.
   */
  record Sharing(
      List<String> jvmOptions, String classPathPrefix, Set<String> prefixJars, Path archive) {
    static final Sharing NONE = new Sharing(List.of(), "", Set.of(), null);

    /**
     * The class path of a server: the archive's prefix, then the entries of {@code testClassPath}
     * that are not in it already (each jar once: a worker's command line, which repeats the
     * expanded class path, stays as short as before, and {@code ProcessHandle} reads only its
     * first 4 KiB when a test looks for {@code WorkerMain}).
     */
    String classPath(String testClassPath) {
      if (classPathPrefix.isEmpty()) {
        return testClassPath;
      }
      StringBuilder cp = new StringBuilder(classPathPrefix);
      for (String entry : testClassPath.split(java.io.File.pathSeparator)) {
        if (!prefixJars.contains(Path.of(entry).getFileName().toString())) {
          cp.append(java.io.File.pathSeparator).append(entry);
        }
      }
      return cp.toString();
    }
  }

  private static Sharing sharing;

  private ServerClassData() {}

  /** The archive's options for this run, built on first use. */
  static synchronized Sharing get() {
    if (sharing == null) {
      sharing = find();
    }
    return sharing;
  }

  private static Sharing find() {
    if ("off".equals(System.getenv("FORKSERVE_CDS"))) {
      return Sharing.NONE;
    }
    Path root = Fixtures.projectRoot();
    Path target = root.resolve("runtime/target");
    Path jar = null;
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(target, "forkserve-runtime-*.jar")) {
      for (Path p : jars) {
        jar = p;
      }
    } catch (IOException e) {
      return Sharing.NONE;
    }
    if (jar == null || !Files.isDirectory(target.resolve("lib"))) {
      return Sharing.NONE;
    }
    // the class path exactly as bin/lib/launch.sh gives it (the launcher expands lib/*)
    String classPath = jar + ":" + target.resolve("lib") + "/*";
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path lock = target.resolve("cds-test.lock");
    // flock waits while another test JVM builds the archive, which launch.sh alone would not
    String script =
        "source \"$1/bin/lib/launch.sh\" && forkserve_cds \"$1\" \"$2\" \"$3\" yes 2>/dev/null";
    List<String> command =
        new ArrayList<>(List.of("flock", lock.toString(), "bash", "-c", script, "cds"));
    command.addAll(List.of(root.toString(), java, classPath));
    try {
      Processes.Result result = Processes.exec(new byte[0], command.toArray(String[]::new));
      String archive = result.stdout().strip();
      if (result.exit() != 0 || archive.isEmpty() || !Files.isRegularFile(Path.of(archive))) {
        return Sharing.NONE;
      }
      Set<String> names = new HashSet<>();
      names.add(jar.getFileName().toString());
      try (DirectoryStream<Path> lib = Files.newDirectoryStream(target.resolve("lib"))) {
        lib.forEach(p -> names.add(p.getFileName().toString()));
      }
      return new Sharing(
          List.of("-XX:SharedArchiveFile=" + archive, "-D" + cdsProperty() + "=" + archive),
          classPath,
          names,
          Path.of(archive));
    } catch (Exception | AssertionError e) {
      return Sharing.NONE; // no archive (a hung build included): servers start without one
    }
  }

  private static String cdsProperty() {
    return WorkerJvmOptions.CDS_ARCHIVE_PROPERTY;
  }
}
