package io.forkserve.metrics.internal.file;

import java.util.Locale;

/**
 * Why a file in a multiprocess directory was left out of a merge.
 * Not user API: public for merge (in {@code SkippedFile}) and the archive.
 */
public enum SkipReason {
  /** A {@code *.db} not named as a metric file ({@code foo.db}, {@code counter_1_2.db}). */
  BAD_NAME,
  /** Zero bytes: created, never extended (a writer killed in between). */
  EMPTY,
  /** Shorter than its header or its {@code used} says, or it shrank while read. */
  TRUNCATED,
  /** Not a v1 or v2 metric file: bad header, entries, padding or keys (a SQLite file, say). */
  CORRUPT,
  /** Deleted between listing the directory and reading it. */
  VANISHED,
  /** Could not be opened or read (permissions, not a regular file, over the read limit, I/O). */
  UNREADABLE,
  /**
   * Holds a value its type forbids (a NaN counter, histogram or summary value, which OpenMetrics
   * does not allow): those entries are left out, the rest of the file is merged.
   */
  INVALID_VALUE,
  /**
   * The archive ({@code forkserve-archive}) could not be read: damaged, truncated, replaced or
   * of another format. Counted once per damage; the owning server moves it aside.
   */
  ARCHIVE;

  /** The value of the {@code reason} label ({@code bad_name}). */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
