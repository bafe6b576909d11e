package io.forkserve.metrics.merge;

import io.forkserve.metrics.internal.file.SkipReason;
import java.nio.file.Path;

/** A file left out of a scrape, why, and the defect in words. */
record SkippedFile(Path path, SkipReason reason, String detail) {}
