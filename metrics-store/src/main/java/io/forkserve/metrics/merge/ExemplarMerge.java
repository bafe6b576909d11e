package io.forkserve.metrics.merge;

import io.forkserve.metrics.internal.FloatFormat;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.internal.file.ExemplarFile;
import io.forkserve.metrics.internal.file.MetricFileException;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.model.Exemplar;
import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.metrics.model.Sample;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The exemplars of a directory's {@code exemplars_PID.ex} side files, merged per sample by the
 * newest timestamp and attached to the merged samples (counter {@code _total}, histogram
 * buckets). Exemplars are not archived: a folded process's side file is deleted with its
 * files. Not thread-safe: owned by one scraper.
 */
final class ExemplarMerge {
  private static final int MAX_CACHED_KEYS = 100_000;

  /** Series key (JSON, as in the metric file) to (family, sample name + labels), or null. */
  private final Map<String, String[]> sampleIds = new HashMap<>();

  /**
   * The newest exemplar per (family, sample name + label exposition) in {@code dir}; a side file
   * that cannot be read is left out and reported to {@code onBadFile}.
   */
  Map<String, Map<String, Exemplar>> read(Path dir, BiConsumer<Path, String> onBadFile) {
    Map<String, Map<String, Exemplar>> byFamily = new HashMap<>();
    try (DirectoryStream<Path> stream =
        Files.newDirectoryStream(dir, MetricFileName.EXEMPLARS_GLOB)) {
      for (Path path : stream) {
        if (MetricFileName.exemplarsPid(path.getFileName().toString()) < 0
            || !Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          continue;
        }
        try {
          for (ExemplarFile.Entry e : ExemplarFile.read(path)) {
            merge(byFamily, e);
          }
        } catch (IOException | MetricFileException | RuntimeException e) {
          onBadFile.accept(path, e.toString());
        }
      }
    } catch (IOException e) {
      onBadFile.accept(dir, e.toString());
    }
    if (sampleIds.size() > MAX_CACHED_KEYS) {
      sampleIds.clear();
    }
    return byFamily;
  }

  private void merge(Map<String, Map<String, Exemplar>> byFamily, ExemplarFile.Entry e) {
    String[] id = sampleIds.computeIfAbsent(e.key(), ExemplarMerge::sampleId);
    if (id == null || !(e.timestamp() > 0) || Double.isNaN(e.value())) {
      return;
    }
    Exemplar exemplar;
    try {
      exemplar = new Exemplar(Labels.of(e.labelNames(), e.labelValues()), e.value(),
          e.timestamp());
    } catch (IllegalArgumentException bad) {
      return;
    }
    Map<String, Exemplar> samples = byFamily.computeIfAbsent(id[0], f -> new HashMap<>());
    Exemplar old = samples.get(id[1]);
    if (old == null || exemplar.timestamp() > old.timestamp()) {
      samples.put(id[1], exemplar);
    }
  }

  /** (family, sample name + labels as merged) of a counter or bucket key, else null. */
  private static String[] sampleId(String json) {
    try {
      MetricType type = json.contains("_bucket\", {") ? MetricType.HISTOGRAM : MetricType.COUNTER;
      EntryKey key = EntryKey.parse(json, type);
      Labels labels = key.labels();
      if (key.isBucket()) {
        labels = labels.without("le").with("le", FloatFormat.format(key.bucketBound()));
      } else if (!key.sampleName().equals(key.metricName() + "_total")) {
        return null;
      }
      return new String[] {key.metricName(), key.sampleName() + labels.exposition()};
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** {@code families} with the exemplars attached to their samples. */
  static List<MetricFamilySnapshot> attach(List<MetricFamilySnapshot> families,
      Map<String, Map<String, Exemplar>> exemplars) {
    if (exemplars.isEmpty()) {
      return families;
    }
    List<MetricFamilySnapshot> out = new ArrayList<>(families.size());
    for (MetricFamilySnapshot f : families) {
      Map<String, Exemplar> byId = exemplars.get(f.name());
      if (byId == null
          || (f.type() != MetricType.COUNTER && f.type() != MetricType.HISTOGRAM)) {
        out.add(f);
        continue;
      }
      List<Sample> samples = new ArrayList<>(f.samples().size());
      for (Sample s : f.samples()) {
        Exemplar e = byId.get(s.name() + s.labels().exposition());
        samples.add(e == null ? s : s.withExemplar(e));
      }
      out.add(new MetricFamilySnapshot(f.name(), f.type(), f.help(), samples));
    }
    return out;
  }
}
