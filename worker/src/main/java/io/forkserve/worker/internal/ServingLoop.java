package io.forkserve.worker.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.metrics.ExemplarLabels;
import io.forkserve.worker.Callback;
import io.forkserve.worker.HttpError;
import io.forkserve.worker.RequestInfo;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.channel.FrameLayout;
import io.forkserve.worker.channel.FrameReader;
import io.forkserve.worker.channel.FrameWriter;
import io.forkserve.worker.channel.Frames;
import io.forkserve.worker.channel.Outcome;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The worker's serving thread: reads REQUESTS frames, runs decode, predict and encode, and writes
 * one RESPONSES frame per predict batch. Owned by one thread.
 */
final class ServingLoop<I, O> {
  private static final int NO_INPUT = -1;
  private static final byte[] NO_BODY = new byte[0];

  private final ServingApi<I, O> api;
  private final List<Callback> callbacks;
  private final int maxBatchSize;
  private final FrameReader reader;
  private final FrameWriter writer;
  private final Object writeLock;
  private final StageMetrics metrics;
  private final ObjectMapper mapper = new ObjectMapper();
  private final boolean streaming;
  private final CreditWindow credit;
  private final Liveness liveness;
  private long lastFlushNanos;

  private final List<Long> ids = new ArrayList<>();
  private final List<byte[]> bodies = new ArrayList<>();
  private final List<RequestInfo> infos = new ArrayList<>();
  /** Per request: the exemplar of its W3C trace for the stage histograms, or null. */
  private final List<ExemplarLabels> traces = new ArrayList<>();
  /** The exemplar of the request (or batch) in the stage being timed, or null. */
  private ExemplarLabels currentTrace;
  private final Frames.FromFront collect =
      new Frames.FromFront() {
        @Override
        public void request(long id, RequestInfo info, byte[] body) {
          collect(id, info, body, null);
        }

        @Override
        public void request(long id, RequestInfo info, byte[] body, String trace) {
          collect(id, info, body, trace);
        }
      };

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
    this.callbacks = api.callbacks();
    this.maxBatchSize = Math.max(1, maxBatchSize);
    this.reader = reader;
    this.writer = writer;
    this.writeLock = writeLock;
    this.metrics = metrics;
    this.streaming = api.isStreaming();
    this.credit = new CreditWindow(this.maxBatchSize);
  }

  /** Serves until the channel closes (then throws the EOF). */
  void run() throws IOException {
    while (true) {
      liveness.idle();
      ByteBuffer payload = reader.next();
      liveness.busy();
      ids.clear();
      bodies.clear();
      infos.clear();
      traces.clear();
      Frames.decodeFromFront(reader.type(), payload, collect);
      long start = System.nanoTime();
      for (int from = 0; from < ids.size(); from += maxBatchSize) {
        serveBatch(from, Math.min(ids.size(), from + maxBatchSize));
        if (System.nanoTime() - lastFlushNanos > Frames.CREDIT_WINDOW_NANOS) {
          flush();
        }
      }
      credit.served(ids.size(), System.nanoTime() - start);
      grantAndFlush(credit.grant());
    }
  }

  /** Appends a CREDIT frame and writes everything unless more requests are already buffered. */
  private void grantAndFlush(int grant) throws IOException {
    synchronized (writeLock) {
      if (grant > 0) {
        Frames.writeCredit(writer, grant);
      }
      if (!reader.hasBufferedFrame()) {
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

  private void collect(long id, RequestInfo info, byte[] body, String trace) {
    ids.add(id);
    infos.add(info);
    bodies.add(body);
    traces.add(trace == null ? null
        : ExemplarLabels.ofTrace(trace.substring(0, 32), trace.substring(32)));
  }

  private void serveBatch(int from, int to) throws IOException {
    int size = to - from;
    short[] statuses = new short[size];
    byte[][] out = new byte[size][];
    List<I> inputs = new ArrayList<>(size);
    int[] inputOf = new int[size];
    for (int i = 0; i < size; i++) {
      inputOf[i] = NO_INPUT;
      try {
        I input = decode(from + i);
        inputOf[i] = inputs.size();
        inputs.add(input);
      } catch (Exception | Error e) {
        fail(statuses, out, i, survivable(e), "decodeRequest");
      }
    }
    if (streaming) {
      for (int i = 0; i < size; i++) {
        if (inputOf[i] != NO_INPUT) {
          currentTrace = traces.get(from + i);
          stream(ids.get(from + i), inputs.get(inputOf[i]));
        } else {
          writeResponses(from + i, 1, statuses, out, i);
        }
      }
      return;
    }
    currentTrace = firstTrace(from, to);
    List<O> outputs = inputs.isEmpty() ? List.of() : predict(inputs, statuses, out, inputOf);
    for (int i = 0; i < size; i++) {
      currentTrace = traces.get(from + i);
      if (out[i] == null) {
        encode(outputs.get(inputOf[i]), statuses, out, i);
      }
    }
    writeResponses(from, size, statuses, out, 0);
  }

  /** A batch's exemplar for predict: the first traced request's. */
  private ExemplarLabels firstTrace(int from, int to) {
    for (int i = from; i < to; i++) {
      if (traces.get(i) != null) {
        return traces.get(i);
      }
    }
    return null;
  }

  private I decode(int index) throws Exception {
    currentTrace = traces.get(index);
    RequestInfo info = infos.get(index);
    if (info != null) {
      api.authorize(info);
    }
    JsonNode json;
    try {
      json = mapper.readTree(bodies.get(index));
    } catch (JsonProcessingException e) {
      throw new HttpError(400, "malformed JSON: " + e.getOriginalMessage());
    }
    if (json == null || json.isMissingNode()) {
      throw new HttpError(400, "malformed JSON: empty body");
    }
    for (Callback c : callbacks) {
      c.beforeDecode(api);
    }
    long start = System.nanoTime();
    I input = api.decodeRequest(json);
    if (metrics != null) {
      metrics.decoded(System.nanoTime() - start, currentTrace);
    }
    for (Callback c : callbacks) {
      c.afterDecode(api);
    }
    return input;
  }

  private List<O> predict(List<I> inputs, short[] statuses, byte[][] out, int[] inputOf) {
    try {
      for (Callback c : callbacks) {
        c.beforePredict(api);
      }
      long start = System.nanoTime();
      List<O> outputs =
          maxBatchSize == 1 ? List.of(api.predict(inputs.get(0))) : api.predictBatch(inputs);
      if (metrics != null) {
        metrics.predicted(System.nanoTime() - start, inputs.size(), currentTrace);
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
          fail(statuses, out, i, e, "predict");
        }
      }
      return List.of();
    }
  }

  private void encode(O output, short[] statuses, byte[][] out, int i) {
    try {
      out[i] = encodeOne(output);
      statuses[i] = 200;
    } catch (Exception | Error e) {
      fail(statuses, out, i, survivable(e), "encodeResponse");
    }
  }

  private byte[] encodeOne(O output) throws Exception {
    for (Callback c : callbacks) {
      c.beforeEncode(api);
    }
    long start = System.nanoTime();
    byte[] bytes = mapper.writeValueAsBytes(api.encodeResponse(output));
    if (metrics != null) {
      metrics.encoded(System.nanoTime() - start, currentTrace);
    }
    for (Callback c : callbacks) {
      c.afterEncode(api);
    }
    return bytes;
  }

  private void stream(long id, I input) throws IOException {
    try {
      for (Callback c : callbacks) {
        c.beforePredict(api);
      }
      long start = System.nanoTime();
      api.predictStream(input, output -> sendChunk(id, output));
      if (metrics != null) {
        metrics.predicted(System.nanoTime() - start, 1, currentTrace);
      }
      for (Callback c : callbacks) {
        c.afterPredict(api);
      }
      sendOne(id, 200, FrameLayout.KIND_END, NO_BODY);
    } catch (ChunkWriteFailed e) {
      throw e.getCause();
    } catch (Exception | Error e) {
      survivable(e);
      int status = statusOf(e);
      sendOne(id, status, FrameLayout.KIND_END, Outcome.errorBody(status, messageOf(e, "predict")));
    }
  }

  private void sendChunk(long id, O output) {
    liveness.busy();
    byte[] bytes;
    try {
      bytes = encodeOne(output);
    } catch (Exception e) {
      throw new IllegalStateException("encodeResponse failed for a stream chunk", e);
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

  private void writeResponses(int from, int count, short[] statuses, byte[][] out, int outFrom)
      throws IOException {
    synchronized (writeLock) {
      Frames.beginResponses(writer, count);
      for (int i = 0; i < count; i++) {
        Frames.putResponse(
            writer,
            ids.get(from + i),
            statuses[outFrom + i],
            FrameLayout.KIND_FINAL,
            out[outFrom + i]);
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

  private static void fail(short[] statuses, byte[][] out, int i, Throwable e, String stage) {
    int status = statusOf(e);
    statuses[i] = (short) status;
    out[i] = Outcome.errorBody(status, messageOf(e, stage));
  }

  private static int statusOf(Throwable e) {
    return e instanceof HttpError ? ((HttpError) e).status() : 500;
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
