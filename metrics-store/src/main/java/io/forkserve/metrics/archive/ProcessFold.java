package io.forkserve.metrics.archive;

import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.internal.file.MetricFileException;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileReader;
import io.forkserve.metrics.internal.file.ReaderContext;
import io.forkserve.metrics.internal.file.SkipReason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;
import org.lmdbjava.Txn;

/**
 * The fold of one dead process's files, in the order {@link MetricsArchive}'s protocol needs:
 * its live gauges and exemplars deleted first, then every other file read and added in one write
 * transaction ({@link ArchiveWriter}), then, once committed, the files deleted. Not thread-safe:
 * the archive runs one fold at a time.
 */
final class ProcessFold {
  private static final System.Logger LOG = System.getLogger(ProcessFold.class.getName());

  private final Path metricsDir;
  private final Clock clock;
  private final ReaderContext context = new ReaderContext();

  ProcessFold(Path metricsDir, Clock clock) {
    this.metricsDir = metricsDir;
    this.clock = clock;
  }

  /**
   * Folds the files whose ID is {@code id} into the environment {@code usableEnv} gives (asked
   * only when there is a file to fold); {@code hook} runs at each stage and may throw.
   */
  FoldResult fold(String id, Supplier<ArchiveEnv> usableEnv, MetricsArchive.FaultHook hook) {
    List<Path> files = filesOf(id);
    deleteLiveGauges(files);
    deleteExemplars(id);
    if (files.isEmpty()) {
      return new FoldResult(id, List.of(), List.of(), List.of(), List.of());
    }
    ArchiveEnv env = usableEnv.get();
    ArchiveWriter writer = new ArchiveWriter(env, clock);
    FoldResult result;
    try {
      result = env.write(txn -> foldInTxn(writer, txn, id, files, hook));
    } finally {
      context.release(); // the folded files are not read again
    }
    hook.at(MetricsArchive.Stage.AFTER_COMMIT);
    for (String name : result.deleted()) {
      try {
        Files.deleteIfExists(metricsDir.resolve(name));
      } catch (IOException e) { // recorded: scrapes leave it out, the next fold retries
        LOG.log(Level.WARNING, "cannot delete folded metrics file " + name + ": " + e);
      }
      hook.at(MetricsArchive.Stage.AFTER_DELETE);
    }
    return result;
  }

  /** Exemplars are not archived: a dead process's side file goes with its live gauges. */
  private void deleteExemplars(String id) {
    String name = MetricFileName.exemplarsName(id);
    if (name == null) {
      return;
    }
    Path path = metricsDir.resolve(name);
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot delete exemplar file " + path + ": " + e);
    }
  }

  private static void deleteLiveGauges(List<Path> files) {
    for (Path path : files) {
      if (MetricFileName.parse(path.getFileName().toString()).isLive()) {
        try {
          Files.deleteIfExists(path);
        } catch (IOException e) { // the fold's deletes after the commit retry it
          LOG.log(Level.WARNING, "cannot delete live gauge file " + path + ": " + e);
        }
      }
    }
  }

  private List<Path> filesOf(String id) {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(metricsDir, "*.db")) {
      for (Path p : stream) {
        MetricFileName name = MetricFileName.parse(p.getFileName().toString());
        if (name != null && name.processId().equals(id)) { // with its stripe files
          out.add(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + metricsDir, e);
    }
    Collections.sort(out);
    return out;
  }

  /** The body of a fold's write transaction; runs again from scratch if the map was full. */
  private FoldResult foldInTxn(ArchiveWriter writer, Txn<ByteBuffer> txn, String id,
      List<Path> files, MetricsArchive.FaultHook hook) {
    List<String> folded = new ArrayList<>();
    List<String> already = new ArrayList<>();
    List<String> deleted = new ArrayList<>();
    List<String> left = new ArrayList<>();
    for (Path path : files) {
      String name = path.getFileName().toString();
      MetricFileName fileName = MetricFileName.parse(name);
      if (fileName.isLive()) {
        deleted.add(name);
        continue;
      }
      switch (foldFile(writer, txn, path, fileName)) {
        case FOLDED:
          folded.add(name);
          deleted.add(name);
          break;
        case ALREADY_FOLDED:
          already.add(name);
          deleted.add(name);
          break;
        case UNREADABLE:
          left.add(name);
          break;
        default: // vanished: another folder took it
          break;
      }
    }
    writer.recordFold(txn, id, folded, deleted.stream().filter(n -> !folded.contains(n)).toList());
    hook.at(MetricsArchive.Stage.BEFORE_COMMIT);
    return new FoldResult(id, folded, already, deleted, left);
  }

  private enum Outcome { FOLDED, ALREADY_FOLDED, UNREADABLE, VANISHED }

  private Outcome foldFile(ArchiveWriter writer, Txn<ByteBuffer> txn, Path path,
      MetricFileName fileName) {
    String name = path.getFileName().toString();
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(path, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      return Outcome.VANISHED;
    } catch (IOException e) {
      LOG.log(Level.WARNING, "cannot fold metrics file " + path + ": " + e);
      return Outcome.UNREADABLE;
    }
    if (writer.isFolded(txn, name, attrs)) {
      return Outcome.ALREADY_FOLDED;
    }
    MetricFileReader reader = new MetricFileReader(path, fileName);
    try {
      reader.read(context);
    } catch (MetricFileException e) {
      if (e.reason() == SkipReason.VANISHED) {
        return Outcome.VANISHED;
      }
      if (e.reason() != SkipReason.EMPTY) { // an empty file holds nothing to lose
        LOG.log(Level.WARNING, "cannot fold metrics file " + path + " (" + e.reason().label()
            + "): " + e.detail() + "; left in place");
        return Outcome.UNREADABLE;
      }
    }
    for (int i = 0; i < reader.entryCount(); i++) {
      if (MergeRule.forbidden(fileName.type(), reader.value(i))) {
        continue; // as a scrape leaves it out (see DirectoryScraper)
      }
      writer.addEntry(txn, fileName, reader.key(i), reader.value(i), reader.timestamp(i));
    }
    writer.recordFile(txn, name, fileName, attrs);
    return Outcome.FOLDED;
  }
}
