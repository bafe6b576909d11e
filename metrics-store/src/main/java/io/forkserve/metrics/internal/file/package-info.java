/**
 * Not API: prometheus_client's multiprocess file format (layout, names, keys, the writer and the
 * reader), shared by the metrics, merge, archive and directory packages and by the runtime's
 * {@code bin/metrics} commands.
 */
package io.forkserve.metrics.internal.file;
