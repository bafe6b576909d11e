/** The contract between a process that launches workers and the worker's entry point. */
package io.forkserve.worker.launch;
