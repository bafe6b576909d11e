/**
 * Not API: what the runtime checks before it opens the LMDB archive (the JVM options lmdbjava
 * needs).
 */
package io.forkserve.metrics.internal.archive;
