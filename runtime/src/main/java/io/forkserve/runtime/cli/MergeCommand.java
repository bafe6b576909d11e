package io.forkserve.runtime.cli;

import io.forkserve.metrics.archive.MetricsArchive;
import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * {@code merge DIR [--format text|openmetrics]}: the merged exposition (live files and the
 * archive of dead workers, read only) on stdout.
 */
final class MergeCommand {
  private MergeCommand() {}

  static int run(Args args, PrintStream out) throws CliException {
    ExpositionFormat format = format(args.option("--format", "text"));
    Path dir = args.directory();
    try (MetricsArchive archive = MetricsArchive.openReadOnly(dir)) {
      Exposition.write(
          DirectoryScraper.scrapeOnce(dir, List.of(archive.newMergeSource())), format, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.flush();
    return MetricsCli.OK;
  }

  static ExpositionFormat format(String name) throws CliException {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "text":
        return ExpositionFormat.TEXT;
      case "openmetrics":
        return ExpositionFormat.OPENMETRICS;
      default:
        throw new CliException(MetricsCli.USAGE,
            "--format must be text or openmetrics, not '" + name + "'");
    }
  }
}
