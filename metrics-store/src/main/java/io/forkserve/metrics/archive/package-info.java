/**
 * The LMDB archive of dead processes' metrics: a fold adds a dead worker's counters, histograms,
 * summaries and non-live gauges to one transaction and deletes its files, so counters never go
 * backwards and the directory never grows; scrapes merge the archive with the live files.
 */
package io.forkserve.metrics.archive;
