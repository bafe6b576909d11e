package io.forkserve.runtime.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DispatcherTest {
  final AtomicLong now = new AtomicLong(1_000);
  final Dispatcher dispatcher = new Dispatcher(2, 500, now::get);

  /** Records what a job answered. */
  static final class Recorder implements Responder {
    final List<String> events = new ArrayList<>();

    @Override
    public void respond(int status, byte[] body, boolean retryAfter) {
      events.add(status + (retryAfter ? "+retry" : "") + " " + text(body));
    }

    @Override
    public void chunk(byte[] body) {
      events.add("chunk " + text(body));
    }

    @Override
    public void end(int status, byte[] errorBody) {
      events.add("end " + status);
    }

    static String text(byte[] body) {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  Job job(Recorder recorder) {
    return new Job(
        dispatcher.nextId(),
        ByteBuffer.allocate(0),
        new byte[0],
        dispatcher.deadlineFromNow(),
        recorder);
  }

  @Test
  void queuedJobTimesOutOnlyOnceItsDeadlineHasPassed() {
    Recorder recorder = new Recorder();
    assertTrue(dispatcher.submit(job(recorder)));
    now.addAndGet(499);
    dispatcher.sweep();
    assertEquals(List.of(), recorder.events);
    now.addAndGet(1);
    dispatcher.sweep();
    assertEquals(1, recorder.events.size());
    assertTrue(recorder.events.get(0).startsWith("504 "), recorder.events.get(0));
    assertEquals(0, dispatcher.queueDepth());
  }

  @Test
  void aFullQueueRefusesTheJob() {
    assertTrue(dispatcher.submit(job(new Recorder())));
    assertTrue(dispatcher.submit(job(new Recorder())));
    assertFalse(dispatcher.submit(job(new Recorder())));
  }

  @Test
  void onlyTheFirstOutcomeReachesTheClient() {
    Recorder recorder = new Recorder();
    Job job = job(recorder);
    assertTrue(job.respond(200, "{}".getBytes(StandardCharsets.UTF_8), false));
    assertFalse(job.respond(504, new byte[0], false));
    job.fail(503, new byte[0]);
    assertEquals(List.of("200 {}"), recorder.events);
  }

  @Test
  void aStartedStreamIsNotTimedOutAndEndsOnce() {
    Recorder recorder = new Recorder();
    Job job = job(recorder);
    job.chunk("a".getBytes(StandardCharsets.UTF_8));
    assertFalse(job.respond(504, new byte[0], false));
    job.chunk("b".getBytes(StandardCharsets.UTF_8));
    job.end(200, null);
    job.fail(503, new byte[0]);
    assertEquals(List.of("chunk a", "chunk b", "end 200"), recorder.events);
  }

  @Test
  void anErrorBeforeAnyChunkIsAWholeResponse() {
    Recorder recorder = new Recorder();
    Job job = job(recorder);
    job.end(500, "{\"error\":\"x\"}".getBytes(StandardCharsets.UTF_8));
    assertEquals(List.of("500 {\"error\":\"x\"}"), recorder.events);
  }
}
