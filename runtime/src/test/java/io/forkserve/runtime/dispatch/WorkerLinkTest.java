package io.forkserve.runtime.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.worker.Request;
import io.forkserve.worker.channel.FrameLayout;
import io.forkserve.worker.channel.FrameReader;
import io.forkserve.worker.channel.FrameWriter;
import io.forkserve.worker.channel.Frames;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A link over a real Unix socket, its far end played by the test with the frame codec. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WorkerLinkTest {
  @TempDir Path dir;

  final Dispatcher dispatcher = new Dispatcher(1024, Long.MAX_VALUE / 4, System::nanoTime);

  /** A worker's end: sends HELLO with {@code credit}, then READY. */
  record FakeWorker(SocketChannel channel, FrameReader reader, FrameWriter writer) {}

  static final class Quiet implements WorkerLink.Listener {
    @Override
    public void ready(WorkerLink link, long setupNanos) {}

    @Override
    public void failed(WorkerLink link, String message) {}

    @Override
    public void health(WorkerLink link, boolean healthy) {}

    @Override
    public void log(WorkerLink link, String key, byte[] json) {}

    @Override
    public void closed(WorkerLink link, IOException cause) {}
  }

  FakeWorker connect(int credit) throws Exception {
    Path socket = dir.resolve("w.sock");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    SocketChannel worker = SocketChannel.open(StandardProtocolFamily.UNIX);
    worker.connect(UnixDomainSocketAddress.of(socket));
    SocketChannel front = server.accept();
    FakeWorker fake =
        new FakeWorker(worker, new FrameReader(worker, 1024), new FrameWriter(worker, 1024));
    Frames.writeHello(fake.writer(), 0, ProcessHandle.current().pid(), credit, false, false, "T");
    Frames.writeReady(fake.writer(), 1);
    fake.writer().flush();
    WorkerLink.accept(front, dispatcher, 1, 0, new Quiet());
    return fake;
  }

  /** Reads REQUESTS frames until {@code n} requests arrived; returns their ids and bodies. */
  static List<String> readRequests(FakeWorker worker, int n) throws IOException {
    List<String> got = new ArrayList<>();
    Frames.FromFront inbox =
        new Frames.FromFront() {
          @Override
          public void request(long id, Request request, String trace) {
            got.add(id + ":" + request.bytes().length);
          }

          @Override
          public void cancel(long id) {}

          @Override
          public void streamAck(long id, int bytes) {}
        };
    while (got.size() < n) {
      ByteBuffer payload = worker.reader().next();
      assertEquals(FrameLayout.REQUESTS, worker.reader().type());
      Frames.decodeFromFront(worker.reader().type(), payload, inbox);
    }
    return got;
  }

  static final class Answer implements Responder {
    final CompletableFuture<String> body = new CompletableFuture<>();

    @Override
    public void respond(int status, byte[] bytes, boolean retryAfter) {
      body.complete(status + " " + new String(bytes, StandardCharsets.UTF_8));
    }

    @Override
    public void chunk(byte[] bytes) {}

    @Override
    public void end(int status, byte[] errorBody) {}
  }

  Job job(int bodyBytes, Answer answer) {
    return new Job(
        dispatcher.nextId(),
        ByteBuffer.allocate(bodyBytes),
        new byte[0],
        dispatcher.deadlineFromNow(),
        answer);
  }

  @Test
  void jobsBeyondTheCreditWaitInTheQueueUntilCreditArrives() throws Exception {
    FakeWorker worker = connect(1);
    awaitRegistered();
    Answer first = new Answer();
    Answer second = new Answer();
    Job one = job(3, first);
    Job two = job(4, second);
    assertTrue(dispatcher.submit(one));
    assertTrue(dispatcher.submit(two));
    assertEquals(List.of(one.id + ":3"), readRequests(worker, 1));
    assertEquals(1, dispatcher.queueDepth());

    Frames.beginResponses(worker.writer(), 1);
    Frames.putResponse(worker.writer(), one.id, 200, FrameLayout.KIND_FINAL, bytes("{\"a\":1}"));
    Frames.endBatch(worker.writer());
    Frames.writeCredit(worker.writer(), 1);
    worker.writer().flush();
    assertEquals("200 {\"a\":1}", first.body.get(30, TimeUnit.SECONDS));
    assertEquals(List.of(two.id + ":4"), readRequests(worker, 1));
    assertEquals(0, dispatcher.queueDepth());
    assertTrue(!second.body.isDone(), "answered before the worker answered it");
  }

  @Test
  void aBatchOverHalfTheSendBufferStillGoesOutThroughTheSender() throws Exception {
    FakeWorker worker = connect(8);
    awaitRegistered();
    int big = 4 << 20; // far over any Unix socket's send buffer: an inline write would block
    List<Job> jobs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Job job = job(big, new Answer());
      jobs.add(job);
      assertTrue(dispatcher.submit(job));
    }
    List<String> got = readRequests(worker, 3);
    List<String> expected = new ArrayList<>();
    for (Job job : jobs) {
      expected.add(job.id + ":" + big);
    }
    assertEquals(expected, got);
  }

  private void awaitRegistered() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (dispatcher.linkCount() == 0) {
      assertTrue(System.nanoTime() < deadline, "the link never became ready");
      Thread.sleep(5);
    }
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
