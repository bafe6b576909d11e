package io.forkserve.metrics.merge;

import io.forkserve.metrics.file.SkipReason;
import java.nio.file.Path;

/** A file left out of a scrape, why, and the defect in words. */
public record SkippedFile(Path path, SkipReason reason, String detail) {}
