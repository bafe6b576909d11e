package io.forkserve.metrics.archive;

import java.util.List;

/**
 * What one {@link MetricsArchive#fold} did with a dead process's files. Immutable.
 *
 * @param pid the process ID, as in the file names
 * @param folded files whose values this fold added to the archive
 * @param alreadyFolded files an earlier fold had added but not deleted (now deleted)
 * @param deleted every file deleted: folded, already folded and {@code gauge_live*}
 * @param leftInPlace files that could not be read (corrupt, truncated), left for inspection
 */
public record FoldResult(
    String pid,
    List<String> folded,
    List<String> alreadyFolded,
    List<String> deleted,
    List<String> leftInPlace) {

  /** Copies the lists. */
  public FoldResult {
    folded = List.copyOf(folded);
    alreadyFolded = List.copyOf(alreadyFolded);
    deleted = List.copyOf(deleted);
    leftInPlace = List.copyOf(leftInPlace);
  }
}
