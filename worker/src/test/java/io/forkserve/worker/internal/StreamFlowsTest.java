package io.forkserve.worker.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.worker.StreamCancelledException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StreamFlowsTest {
  @Test
  void aStreamSendsUpToItsWindowThenWaitsForAnAck() throws Exception {
    StreamFlows flows = new StreamFlows(100);
    flows.open(1L);
    flows.reserve(1L, 60, () -> {});
    flows.reserve(1L, 40, () -> {});
    AtomicInteger waits = new AtomicInteger();
    CompletableFuture<Void> blocked =
        CompletableFuture.runAsync(
            () -> {
              try {
                flows.reserve(1L, 10, waits::incrementAndGet);
              } catch (InterruptedException e) {
                throw new IllegalStateException(e);
              }
            });
    awaitTrue(() -> waits.get() > 0);
    assertFalse(blocked.isDone(), "a full window blocks the next chunk");
    flows.ack(1L, 60);
    blocked.get(30, TimeUnit.SECONDS);
  }

  @Test
  void oneChunkAlwaysGoesEvenIfLargerThanTheWindow() throws Exception {
    StreamFlows flows = new StreamFlows(100);
    flows.open(2L);
    flows.reserve(2L, 1_000, () -> {});
    flows.ack(2L, 1_000);
    flows.reserve(2L, 1_000, () -> {});
  }

  @Test
  void cancelWakesAWaitingEmitWithStreamCancelled() throws Exception {
    StreamFlows flows = new StreamFlows(10);
    flows.open(3L);
    flows.reserve(3L, 10, () -> {});
    AtomicInteger waits = new AtomicInteger();
    CompletableFuture<Throwable> waiting =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                flows.reserve(3L, 5, waits::incrementAndGet);
                return null;
              } catch (Throwable e) {
                return e;
              }
            });
    awaitTrue(() -> waits.get() > 0);
    flows.cancel(3L);
    assertTrue(waiting.get(30, TimeUnit.SECONDS) instanceof StreamCancelledException);
    assertTrue(flows.cancelled(3L));
    assertThrows(StreamCancelledException.class, () -> flows.reserve(3L, 1, () -> {}));
  }

  @Test
  void acksAndCancelsOfUnknownOrClosedStreamsAreIgnored() throws Exception {
    StreamFlows flows = new StreamFlows(10);
    flows.ack(9L, 5);
    flows.cancel(9L);
    assertFalse(flows.cancelled(9L));
    flows.open(9L);
    flows.close(9L);
    flows.cancel(9L);
    flows.reserve(9L, 50, () -> {}); // a closed stream is not held back
    assertEquals(false, flows.cancelled(9L));
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met in time");
      Thread.sleep(5);
    }
  }
}
