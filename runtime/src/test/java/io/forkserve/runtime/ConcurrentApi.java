package io.forkserve.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.ServingApi;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test API declaring that one worker serves up to 4 requests at once. A request {@code {"meet":
 * n}} waits until n requests have been in predict together (so it can only succeed when they
 * overlap in one worker) and answers the most that were, or 503 after {@code "wait_ms"}.
 */
public final class ConcurrentApi extends ServingApi<JsonNode, Integer> {
  private final Object lock = new Object();
  private int inside;
  private int peak;

  @Override
  public int maxConcurrency() {
    return 4;
  }

  @Override
  public JsonNode decodeRequest(JsonNode request) {
    return request;
  }

  @Override
  public Integer predict(JsonNode input) throws Exception {
    int meet = input.path("meet").asInt(1);
    long waitMillis = input.path("wait_ms").asLong(20_000);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis);
    synchronized (lock) {
      inside++;
      peak = Math.max(peak, inside);
      lock.notifyAll();
      try {
        while (peak < meet) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new HttpError(503, "only " + inside + " requests met, wanted " + meet);
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
        return peak;
      } finally {
        inside--;
      }
    }
  }

  @Override
  public Object encodeResponse(Integer met) {
    return Map.of("met", met, "pid", ProcessHandle.current().pid());
  }
}
