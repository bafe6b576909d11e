package io.forkserve.runtime.cli;

import io.forkserve.metrics.archive.ArchiveContents;
import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.directory.MultiprocDirectory;
import io.forkserve.metrics.internal.file.ExemplarFile;
import io.forkserve.metrics.internal.file.MetricFileException;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileReader;
import io.forkserve.metrics.internal.file.ReaderContext;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code inspect DIR}: one row per {@code *.db} file and per exemplar side file, read but never
 * changed.
 */
final class InspectCommand {
  private static final String ROW = "%-34s %-20s %8s %6s %10s %10s %7s %5s  %s%n";

  private InspectCommand() {}

  static int run(Args args, PrintStream out) throws CliException {
    Path dir = args.directory();
    List<Path> files = list(dir);
    ReaderContext context = new ReaderContext();
    out.printf(ROW, "FILE", "KIND", "PID", "FORMAT", "USED", "CAPACITY", "ENTRIES", "ALIVE",
        "STATUS");
    int skipped = 0;
    for (Path file : files) {
      if (!row(file, context, out)) {
        skipped++;
      }
    }
    out.printf("%d files, %d readable, %d skipped%n", files.size(), files.size() - skipped,
        skipped);
    exemplars(dir, out);
    archive(dir, out);
    return MetricsCli.OK;
  }

  /** One row per exemplar side file ({@code exemplars_PID.ex}): the exemplars it holds. */
  private static void exemplars(Path dir, PrintStream out) {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream =
        Files.newDirectoryStream(dir, MetricFileName.EXEMPLARS_GLOB)) {
      stream.forEach(files::add);
    } catch (IOException e) {
      out.println("exemplar files: cannot list (" + e.getMessage() + ")");
      return;
    }
    files.sort(null);
    for (Path file : files) {
      String fileName = file.getFileName().toString();
      long pid = MetricFileName.exemplarsPid(fileName);
      String status;
      String entries = "-";
      try {
        entries = Integer.toString(ExemplarFile.read(file).size());
        status = pid > 0 ? "ok" : "skipped: bad_name";
      } catch (IOException | MetricFileException e) {
        status = "skipped: " + e.getMessage();
      }
      out.printf(ROW, fileName, "exemplars", pid > 0 ? pid : "-", "-", "-", size(file), entries,
          pid > 0 ? alive(Long.toString(pid)) : "?", status);
    }
    out.printf("%d exemplar files%n", files.size());
  }

  /** What the LMDB archive holds: one line per fold, then the count of archived series. */
  private static void archive(Path dir, PrintStream out) {
    if (!Files.isDirectory(dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER))) {
      out.println("archive: none");
      return;
    }
    ArchiveContents contents;
    try (MetricsArchive archive = MetricsArchive.openReadOnly(dir)) {
      contents = archive.contents();
    } catch (RuntimeException e) {
      out.println("archive: unreadable (" + e.getMessage() + ")");
      return;
    }
    out.printf("archive: %s, %d folds, %d series, map %d bytes%n",
        dir.resolve(MultiprocDirectory.ARCHIVE_FOLDER), contents.folds().size(),
        contents.series().size(), contents.mapSizeBytes());
    for (ArchiveContents.Fold fold : contents.folds()) {
      out.printf("  fold %d: pid %s at %s, folded %s, deleted %s%n", fold.sequence(), fold.pid(),
          fold.at(), fold.folded(), fold.deleted());
    }
  }

  /** Prints one file's row; false when the file would be skipped by a scrape. */
  private static boolean row(Path file, ReaderContext context, PrintStream out) {
    String fileName = file.getFileName().toString();
    MetricFileName name = MetricFileName.parse(fileName);
    if (name == null) {
      out.printf(ROW, fileName, "-", "-", "-", "-", size(file), "-", "-",
          "skipped: bad_name (not a metric file name)");
      return false;
    }
    String kind = name.type().token() + (name.mode() == null ? "" : "/" + name.mode());
    String alive = alive(name.processId()); // a stripe file (1234s1) is its process's
    MetricFileReader reader = new MetricFileReader(file, name);
    try {
      reader.read(context);
    } catch (MetricFileException e) {
      out.printf(ROW, fileName, kind, name.id(), "-", "-", size(file), "-", alive,
          "skipped: " + e.reason().label() + " (" + e.detail() + ")");
      return false;
    }
    String format = reader.version() == null ? "empty" : "v" + reader.version().number();
    out.printf(ROW, fileName, kind, name.id(), format, reader.used(), reader.size(),
        reader.entryCount(), alive, "ok");
    return true;
  }

  private static String alive(String id) {
    try {
      long pid = Long.parseLong(id);
      return ProcessHandle.of(pid).map(p -> p.isAlive() ? "yes" : "no").orElse("no");
    } catch (NumberFormatException e) {
      return "?";
    }
  }

  private static String size(Path file) {
    try {
      return Long.toString(Files.size(file));
    } catch (IOException e) {
      return "?";
    }
  }

  private static List<Path> list(Path dir) throws CliException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.db")) {
      stream.forEach(out::add);
    } catch (IOException e) {
      throw new CliException(MetricsCli.BAD_PATH, dir + ": cannot list: " + e.getMessage());
    }
    out.sort(null);
    return out;
  }
}
