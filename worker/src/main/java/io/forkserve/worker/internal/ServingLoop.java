package io.forkserve.worker.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.ExemplarLabels;
import io.forkserve.worker.Callback;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.Request;
import io.forkserve.worker.RequestInfo;
import io.forkserve.worker.Response;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.StreamCancelledException;
import io.forkserve.worker.channel.FrameLayout;
import io.forkserve.worker.channel.FrameReader;
import io.forkserve.worker.channel.FrameWriter;
import io.forkserve.worker.channel.Frames;
import io.forkserve.worker.channel.Outcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The worker's serving side: one serving thread, or {@code maxConcurrency} of them, runs decode,
 * predict and encode and writes the RESPONSES. A streaming or concurrent api has a reader thread
 * that decodes the front's frames (requests into a queue, stream acks and cancels into {@link
 * StreamFlows}); otherwise the one serving thread reads the frames itself.
 *
 * <p>Why one class of over 500 lines: the three ways of serving (batched, concurrent, direct read)
 * share the write lock, the credit window, the queue and the flush rule described below, and
 * each request's decode, predict and encode report through the same stage metrics; a class per
 * mode would share all of that state. The parts with their own state are already apart ({@link
 * CreditWindow}, {@link StreamFlows}, {@link Liveness}, {@link StageMetrics}).
 */
final class ServingLoop<I, O> {
  /*
   * Threads. With maxConcurrency 1 (the default) one serving thread takes whole REQUESTS frames
   * from the queue, serves them in batches of maxBatchSize and grants credit by CreditWindow, as
   * before: the api needs no locking. With maxConcurrency n > 1 the reader queues requests one
   * by one, n threads serve one each (no batching), and each answer grants one credit back, so
   * the worker holds at most n. Writes go through writeLock either way.
   *
   * Direct reading. A plain api (not streaming, maxConcurrency 1) needs nothing read while it
   * serves: CANCEL and STREAM_ACK only concern streams. Its serving thread reads the frames
   * itself, so a request costs no hand-off between threads (no futex wake, no context switch):
   * it blocks in the socket read while idle, and a burst of frames that arrived while it served
   * comes in with one read. It holds back CREDIT and RESPONSES while a further frame is already
   * buffered, as the queued case does (but for at most CREDIT_WINDOW_NANOS). An EOF ends it as it
   * ends the reader.
   */

  private static final int NO_INPUT = -1;
  private static final byte[] NO_BODY = new byte[0];
  private static final List<Entry> EOF = List.of();

  private final ServingApi<I, O> api;
  /** The api's callbacks, as an array: walking it allocates no iterator per request. */
  private final Callback[] callbacks;
  private final int maxBatchSize;
  private final int concurrency;
  private final FrameReader reader;
  private final FrameWriter writer;
  private final Object writeLock;
  private final StageMetrics metrics;
  private final ObjectMapper mapper = new ObjectMapper();
  private final boolean streaming;
  private final CreditWindow credit;
  private final Liveness liveness;
  private final StreamFlows flows = new StreamFlows(Frames.STREAM_WINDOW_BYTES);
  private final BlockingQueue<List<Entry>> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger active = new AtomicInteger();
  private volatile IOException readFailure;
  private long lastFlushNanos;

  /**
   * The exemplar of the request (or batch) in the stage being timed on this serving thread, or
   * null.
   */
  private final ThreadLocal<ExemplarLabels> currentTrace = new ThreadLocal<>();

  /** One request of a REQUESTS frame, with the exemplar of its W3C trace (or null). */
  private record Entry(long id, Request request, ExemplarLabels trace) {}

  ServingLoop(
      ServingApi<I, O> api,
      int maxBatchSize,
      FrameReader reader,
      FrameWriter writer,
      Object writeLock,
      StageMetrics metrics,
      Liveness liveness) {
    this.api = api;
    this.liveness = liveness;
    this.callbacks = api.callbacks().toArray(new Callback[0]);
    this.concurrency = Math.max(1, api.maxConcurrency());
    this.maxBatchSize = concurrency > 1 ? 1 : Math.max(1, maxBatchSize);
    this.reader = reader;
    this.writer = writer;
    this.writeLock = writeLock;
    this.metrics = metrics;
    this.streaming = api.isStreaming();
    this.credit = new CreditWindow(this.maxBatchSize);
  }

  /** Serves until the channel closes (then throws the EOF). */
  void run() throws IOException {
    if (concurrency == 1 && !streaming) {
      serveDirect();
      return;
    }
    Thread readerThread = new Thread(this::readLoop, "worker-reader");
    readerThread.setDaemon(true);
    readerThread.start();
    if (concurrency == 1) {
      serveFrames();
    } else {
      for (int i = 1; i < concurrency; i++) {
        Thread thread = new Thread(this::serveConcurrentQuietly, "worker-serving-" + i);
        thread.setDaemon(true);
        thread.start();
      }
      serveConcurrent();
    }
    IOException failure = readFailure;
    throw failure != null ? failure : new IOException("the channel reader stopped");
  }

  private void readLoop() {
    List<Entry> frame = new ArrayList<>();
    Frames.FromFront inbox =
        new Frames.FromFront() {
          @Override
          public void request(long id, Request request, String trace) {
            Entry entry = new Entry(id, request, exemplar(trace));
            if (concurrency > 1) {
              queue.add(List.of(entry));
            } else {
              frame.add(entry);
            }
          }

          @Override
          public void cancel(long id) {
            flows.cancel(id);
          }

          @Override
          public void streamAck(long id, int bytes) {
            flows.ack(id, bytes);
          }
        };
    try {
      while (true) {
        ByteBuffer payload = reader.next();
        Frames.decodeFromFront(reader.type(), payload, inbox);
        if (!frame.isEmpty()) {
          queue.add(new ArrayList<>(frame));
          frame.clear();
        }
      }
    } catch (IOException e) {
      readFailure = e;
    } finally {
      for (int i = 0; i < concurrency; i++) {
        queue.add(EOF);
      }
    }
  }

  private static ExemplarLabels exemplar(String trace) {
    return trace == null
        ? null
        : ExemplarLabels.ofTrace(trace.substring(0, 32), trace.substring(32));
  }

  private List<Entry> take() {
    try {
      return queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return EOF;
    }
  }

  private void serveFrames() throws IOException {
    while (true) {
      liveness.idle();
      List<Entry> batch = take();
      if (batch == EOF) {
        return;
      }
      liveness.busy();
      serveFrame(batch, !queue.isEmpty());
    }
  }

  /** Reads and serves on this thread (see "Direct reading"); returns only by throwing. */
  private void serveDirect() throws IOException {
    List<Entry> frame = new ArrayList<>();
    Frames.FromFront inbox =
        new Frames.FromFront() {
          @Override
          public void request(long id, Request request, String trace) {
            frame.add(new Entry(id, request, exemplar(trace)));
          }

          @Override
          public void cancel(long id) {
            flows.cancel(id);
          }

          @Override
          public void streamAck(long id, int bytes) {
            flows.ack(id, bytes);
          }
        };
    while (true) {
      liveness.idle();
      ByteBuffer payload = reader.next();
      Frames.decodeFromFront(reader.type(), payload, inbox);
      if (frame.isEmpty()) {
        continue;
      }
      liveness.busy();
      serveFrame(frame, reader.hasBufferedFrame());
      frame.clear();
    }
  }

  /** Serves one REQUESTS frame in batches, grants credit, and flushes unless more is waiting. */
  private void serveFrame(List<Entry> batch, boolean moreWaiting) throws IOException {
    long start = System.nanoTime();
    for (int from = 0; from < batch.size(); from += maxBatchSize) {
      int to = Math.min(batch.size(), from + maxBatchSize);
      serveBatch(batch.subList(from, to));
      // Answers held for more than a window go out; the last batch's go with the CREDIT below.
      if ((to < batch.size() || moreWaiting)
          && System.nanoTime() - lastFlushNanos > Frames.CREDIT_WINDOW_NANOS) {
        flush();
      }
    }
    credit.served(batch.size(), System.nanoTime() - start);
    grantAndFlush(credit.grant(), moreWaiting);
  }

  private void serveConcurrentQuietly() {
    try {
      serveConcurrent();
    } catch (IOException e) {
      // the channel is broken: the reader sees it too and the main serving thread exits
    }
  }

  private void serveConcurrent() throws IOException {
    while (true) {
      List<Entry> one = take();
      if (one == EOF) {
        return;
      }
      // Progress is any request starting or ending: the worker counts as stuck only when none
      // has for --worker-timeout while some are in hand.
      active.incrementAndGet();
      liveness.busy();
      try {
        serveBatch(one);
      } finally {
        if (active.decrementAndGet() == 0) {
          liveness.idle();
        } else {
          liveness.busy();
        }
      }
      grantAndFlush(1, false);
    }
  }

  /** Appends a CREDIT frame and writes everything unless more requests are already queued. */
  private void grantAndFlush(int grant, boolean moreQueued) throws IOException {
    synchronized (writeLock) {
      if (grant > 0) {
        Frames.writeCredit(writer, grant);
      }
      if (!moreQueued) {
        flush();
      }
    }
  }

  private void flush() throws IOException {
    synchronized (writeLock) {
      if (writer.buffered() > 0) {
        writer.flush();
      }
    }
    lastFlushNanos = System.nanoTime();
  }

  private void serveBatch(List<Entry> batch) throws IOException {
    int size = batch.size();
    Encoded[] out = new Encoded[size];
    List<I> inputs = new ArrayList<>(size);
    int[] inputOf = new int[size];
    for (int i = 0; i < size; i++) {
      inputOf[i] = NO_INPUT;
      try {
        currentTrace.set(batch.get(i).trace());
        I input = decode(batch.get(i).request());
        inputOf[i] = inputs.size();
        inputs.add(input);
      } catch (Exception | Error e) {
        out[i] = failure(survivable(e), "decodeRequest");
      }
    }
    if (streaming) {
      for (int i = 0; i < size; i++) {
        if (inputOf[i] != NO_INPUT) {
          currentTrace.set(batch.get(i).trace());
          stream(batch.get(i).id(), inputs.get(inputOf[i]));
        } else {
          writeResponses(batch.subList(i, i + 1), new Encoded[] {out[i]});
        }
      }
      return;
    }
    currentTrace.set(firstTrace(batch));
    List<O> outputs = inputs.isEmpty() ? List.of() : predict(inputs, out, inputOf);
    for (int i = 0; i < size; i++) {
      currentTrace.set(batch.get(i).trace());
      if (out[i] == null) {
        out[i] = encode(outputs.get(inputOf[i]));
      }
    }
    writeResponses(batch, out);
  }

  /** A batch's exemplar for predict: the first traced request's. */
  private static ExemplarLabels firstTrace(List<Entry> batch) {
    for (Entry entry : batch) {
      if (entry.trace() != null) {
        return entry.trace();
      }
    }
    return null;
  }

  private I decode(Request request) throws Exception {
    RequestInfo info = request.info();
    if (info != null) {
      api.authorize(info);
    }
    for (Callback c : callbacks) {
      c.beforeDecode(api);
    }
    long start = System.nanoTime();
    I input = api.decodeRequest(request);
    if (metrics != null) {
      metrics.decoded(System.nanoTime() - start, currentTrace.get());
    }
    for (Callback c : callbacks) {
      c.afterDecode(api);
    }
    return input;
  }

  private List<O> predict(List<I> inputs, Encoded[] out, int[] inputOf) {
    try {
      for (Callback c : callbacks) {
        c.beforePredict(api);
      }
      long start = System.nanoTime();
      List<O> outputs =
          maxBatchSize == 1 ? List.of(api.predict(inputs.get(0))) : api.predictBatch(inputs);
      if (metrics != null) {
        metrics.predicted(System.nanoTime() - start, inputs.size(), currentTrace.get());
      }
      for (Callback c : callbacks) {
        c.afterPredict(api);
      }
      if (outputs == null || outputs.size() != inputs.size()) {
        throw new IllegalStateException(
            "predictBatch returned "
                + (outputs == null ? "null" : outputs.size() + " outputs")
                + " for "
                + inputs.size()
                + " inputs");
      }
      return outputs;
    } catch (Exception | Error e) {
      survivable(e);
      for (int i = 0; i < inputOf.length; i++) {
        if (inputOf[i] != NO_INPUT) {
          out[i] = failure(e, "predict");
        }
      }
      return List.of();
    }
  }

  /** A response ready for the wire. */
  private record Encoded(int status, Frames.ResponseMeta meta, byte[] body) {}

  private Encoded encode(O output) {
    try {
      return encodeOne(output);
    } catch (Exception | Error e) {
      return failure(survivable(e), "encodeResponse");
    }
  }

  private Encoded encodeOne(O output) throws Exception {
    for (Callback c : callbacks) {
      c.beforeEncode(api);
    }
    long start = System.nanoTime();
    Object value = api.encodeResponse(output);
    Encoded encoded;
    if (value instanceof Response) {
      Response response = (Response) value;
      byte[] body =
          response.bytes() != null
              ? response.bytes()
              : mapper.writeValueAsBytes(response.jsonValue());
      Frames.ResponseMeta meta =
          new Frames.ResponseMeta(
              response.contentType() == null ? "application/octet-stream" : response.contentType(),
              response.headers());
      encoded = new Encoded(response.status(), meta, body);
    } else {
      encoded = new Encoded(200, Frames.ResponseMeta.JSON, mapper.writeValueAsBytes(value));
    }
    if (metrics != null) {
      metrics.encoded(System.nanoTime() - start, currentTrace.get());
    }
    for (Callback c : callbacks) {
      c.afterEncode(api);
    }
    return encoded;
  }

  private void stream(long id, I input) throws IOException {
    flows.open(id);
    try {
      for (Callback c : callbacks) {
        c.beforePredict(api);
      }
      long start = System.nanoTime();
      api.predictStream(input, output -> sendChunk(id, output));
      if (metrics != null) {
        metrics.predicted(System.nanoTime() - start, 1, currentTrace.get());
      }
      for (Callback c : callbacks) {
        c.afterPredict(api);
      }
      sendOne(id, 200, FrameLayout.KIND_END, NO_BODY);
    } catch (ChunkWriteFailed e) {
      throw e.getCause();
    } catch (Exception | Error e) {
      survivable(e);
      if (e instanceof StreamCancelledException || flows.cancelled(id)) {
        sendOne(id, 499, FrameLayout.KIND_END, Outcome.errorBody(499, "stream cancelled"));
      } else {
        Encoded failed = failure(e, "predict");
        sendOne(id, failed.status(), FrameLayout.KIND_END, failed.body());
      }
    } finally {
      flows.close(id);
    }
  }

  private void sendChunk(long id, O output) {
    liveness.busy();
    byte[] bytes;
    try {
      Encoded encoded = encodeOne(output);
      bytes = encoded.body();
    } catch (Exception e) {
      throw new IllegalStateException("encodeResponse failed for a stream chunk", e);
    }
    try {
      flows.reserve(id, bytes.length, liveness::busy);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StreamCancelledException("interrupted while waiting for the client");
    }
    try {
      sendOne(id, 200, FrameLayout.KIND_CHUNK, bytes);
    } catch (IOException e) {
      throw new ChunkWriteFailed(e);
    }
  }

  private void sendOne(long id, int status, byte kind, byte[] body) throws IOException {
    synchronized (writeLock) {
      Frames.writeResponse(writer, id, status, kind, body);
      writer.flush();
    }
  }

  private void writeResponses(List<Entry> batch, Encoded[] out) throws IOException {
    synchronized (writeLock) {
      Frames.beginResponses(writer, batch.size());
      for (int i = 0; i < batch.size(); i++) {
        Encoded e = out[i];
        Frames.putResponse(
            writer, batch.get(i).id(), e.status(), FrameLayout.KIND_FINAL, e.meta(), e.body());
      }
      Frames.endBatch(writer);
    }
  }

  /**
   * Returns {@code e} when the worker can go on after it: any exception, and errors user code
   * commonly raises (assertion, stack overflow, linkage). Other VM errors (out of memory...) are
   * rethrown: the worker process ends and the front fails its requests.
   */
  private static Throwable survivable(Throwable e) {
    if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
      throw (VirtualMachineError) e;
    }
    return e;
  }

  private static Encoded failure(Throwable e, String stage) {
    int status = e instanceof HttpError ? ((HttpError) e).status() : 500;
    byte[] body = Outcome.errorBody(status, messageOf(e, stage));
    return new Encoded(status, Frames.ResponseMeta.JSON, body);
  }

  private static String messageOf(Throwable e, String stage) {
    if (e instanceof HttpError) {
      return e.getMessage();
    }
    return stage + " failed: " + e.getClass().getSimpleName() + ": " + e.getMessage();
  }

  /** Carries an IOException out of the user's emit callback. */
  private static final class ChunkWriteFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ChunkWriteFailed(IOException cause) {
      super(cause);
    }

    @Override
    public synchronized IOException getCause() {
      return (IOException) super.getCause();
    }
  }
}
