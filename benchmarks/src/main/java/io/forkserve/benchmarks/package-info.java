/** JMH benchmarks of metrics-store and the runtime, each beside a baseline in the same run. */
package io.forkserve.benchmarks;
