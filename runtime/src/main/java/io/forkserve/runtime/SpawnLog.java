package io.forkserve.runtime;

import io.forkserve.runtime.internal.RestartReason;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pool's history for {@code /info}: the last {@link #SIZE} spawns and the restarts by reason.
 * Guarded by the pool's monitor.
 */
final class SpawnLog {
  static final int SIZE = 64;

  private final long startNanos;
  private final Deque<Map<String, Object>> spawns = new ArrayDeque<>();
  private final Map<RestartReason, Long> restarts = new EnumMap<>(RestartReason.class);

  SpawnLog(long startNanos) {
    this.startNanos = startNanos;
    for (RestartReason reason : RestartReason.values()) {
      restarts.put(reason, 0L);
    }
  }

  /** Worker {@code pid} of slot {@code index} started at {@code nanos}; null reason: first start. */
  void spawned(int index, long pid, RestartReason reason, long nanos) {
    Map<String, Object> event = new LinkedHashMap<>();
    event.put("index", index);
    event.put("pid", pid);
    event.put("reason", reason == null ? "start" : reason.label());
    event.put("at_seconds", WorkerPool.seconds(nanos - startNanos));
    spawns.addLast(event);
    while (spawns.size() > SIZE) {
      spawns.removeFirst();
    }
  }

  void restarted(RestartReason reason) {
    restarts.merge(reason, 1L, Long::sum);
  }

  /** Restarts so far by reason label, every reason present. */
  Map<String, Long> restarts() {
    Map<String, Long> byLabel = new LinkedHashMap<>();
    restarts.forEach((reason, n) -> byLabel.put(reason.label(), n));
    return byLabel;
  }

  /** The spawns kept, oldest first. */
  List<Map<String, Object>> spawns() {
    return new ArrayList<>(spawns);
  }
}
