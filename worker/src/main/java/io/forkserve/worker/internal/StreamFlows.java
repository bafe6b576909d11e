package io.forkserve.worker.internal;

import io.forkserve.worker.StreamCancelledException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Back-pressure and cancellation of the worker's open streams (see {@code Frames}): a stream may
 * have {@code window} bytes of chunks unacknowledged by the front; emit waits for STREAM_ACKs
 * beyond that, and throws {@link StreamCancelledException} once CANCEL has come. Serving threads
 * open, await and close streams; the channel reader acks and cancels them.
 */
final class StreamFlows {
  /** How often a waiting emit shows liveness progress and rechecks its stream. */
  private static final long WAIT_MILLIS = 100;

  private final int window;
  private final ConcurrentHashMap<Long, Flow> flows = new ConcurrentHashMap<>();

  StreamFlows(int window) {
    this.window = window;
  }

  private static final class Flow {
    long unacked;
    boolean cancelled;
  }

  void open(long id) {
    flows.put(id, new Flow());
  }

  void close(long id) {
    flows.remove(id);
  }

  /**
   * Waits until stream {@code id} may send {@code bytes} more (always when nothing is
   * unacknowledged), counts them as sent, and calls {@code waiting} about every {@link
   * #WAIT_MILLIS} while it waits; throws {@link StreamCancelledException} once cancelled.
   */
  void reserve(long id, int bytes, Runnable waiting) throws InterruptedException {
    Flow flow = flows.get(id);
    if (flow == null) {
      return;
    }
    synchronized (flow) {
      while (!flow.cancelled && flow.unacked > 0 && flow.unacked + bytes > window) {
        flow.wait(WAIT_MILLIS);
        waiting.run();
      }
      if (flow.cancelled) {
        throw new StreamCancelledException("the client of stream " + id + " has gone");
      }
      flow.unacked += bytes;
    }
  }

  /** True once stream {@code id} was cancelled. */
  boolean cancelled(long id) {
    Flow flow = flows.get(id);
    if (flow == null) {
      return false;
    }
    synchronized (flow) {
      return flow.cancelled;
    }
  }

  void ack(long id, int bytes) {
    Flow flow = flows.get(id);
    if (flow != null) {
      synchronized (flow) {
        flow.unacked = Math.max(0, flow.unacked - bytes);
        flow.notifyAll();
      }
    }
  }

  void cancel(long id) {
    Flow flow = flows.get(id);
    if (flow != null) {
      synchronized (flow) {
        flow.cancelled = true;
        flow.notifyAll();
      }
    }
  }
}
