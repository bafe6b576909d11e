package io.forkserve.worker;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The class a user writes to serve a model: one instance per worker process.
 *
 * <p>A request flows {@code decodeRequest -> predict -> encodeResponse}. With {@code
 * --max-batch-size} above 1, decoded inputs are grouped and passed to {@link #predictBatch};
 * override it to run the model once per batch (the default calls {@link #predict} for each input).
 * With {@link #isStreaming} true, {@link #predictStream} runs instead and each emitted output is
 * encoded and sent to the client as soon as it is produced.
 *
 * <p>A request's body reaches {@link #decodeRequest(JsonNode)} parsed as JSON; override {@link
 * #decodeRequest(Request)} instead to get it as it came (bytes, content type, query, multipart
 * parts). {@link #encodeResponse} may return a {@link Response} for bytes, a status or headers.
 *
 * <p>Every method but {@link #health} runs on the worker's single serving thread, so an
 * implementation needs no synchronisation, unless {@link #maxConcurrency} is above 1. Throw
 * {@link HttpError} to answer with a chosen status;
 * any other exception answers 500 with a JSON error, and the worker goes on serving.
 *
 * <p>The class needs a public no-argument constructor, which must be cheap: the front also
 * instantiates it (without calling {@code setup}) to read {@link #callbacks}. Build costly state in
 * {@link #setup}.
 *
 * @param <I> the decoded input type
 * @param <O> the model output type
 */
public abstract class ServingApi<I, O> {
  private volatile LogSink logSink = (key, value) -> {};

  /** Builds costly state (load the model) once per worker, before any request. */
  public void setup(WorkerContext context) throws Exception {}

  /**
   * Turns a request body (parsed JSON) into the model input. The default refuses with 415: an API
   * overriding {@link #decodeRequest(Request)} alone need not write it.
   */
  public I decodeRequest(JsonNode request) throws Exception {
    throw new HttpError(415, "this API does not take JSON");
  }

  /**
   * Turns a request as it came into the model input. The default parses the body as JSON (400
   * when it is not) and calls {@link #decodeRequest(JsonNode)}. Overriding this method tells the
   * front to accept any content type (multipart uploads are parsed into {@link Request#parts});
   * an API that does not override it gets 415 for binary and multipart bodies before its worker
   * sees them.
   */
  public I decodeRequest(Request request) throws Exception {
    return decodeRequest(request.json());
  }

  /**
   * True to receive the request headers in {@link Request#headers} (they are sent to the worker
   * anyway when the API overrides {@link #authorize}). Read once, in the front and the worker.
   */
  public boolean wantsHeaders() {
    return false;
  }

  /**
   * How many requests one worker serves at once, each on its own thread (for I/O-bound APIs). The
   * default, 1, is the single serving thread with no locking; above 1, {@code predict}, the
   * decode and encode methods must be thread-safe, and batching ({@code --max-batch-size}) is off.
   */
  public int maxConcurrency() {
    return 1;
  }

  /** Runs the model on one input. */
  public abstract O predict(I input) throws Exception;

  /**
   * Runs the model on a batch of inputs and returns one output per input, in order (batch and
   * unbatch in one step). The default calls {@link #predict} for each input.
   */
  public List<O> predictBatch(List<I> inputs) throws Exception {
    List<O> outputs = new ArrayList<>(inputs.size());
    for (I input : inputs) {
      outputs.add(predict(input));
    }
    return outputs;
  }

  /** True to stream: {@link #predictStream} serves each request. */
  public boolean isStreaming() {
    return false;
  }

  /**
   * Emits outputs one by one as they are produced; each becomes one chunk of the response. {@code
   * emit} blocks while the client is slower than the model (about 1 MiB of chunks at most waits in
   * the front per stream), and throws {@link
   * StreamCancelledException} once the client has gone: stop generating then.
   */
  public void predictStream(I input, Consumer<O> emit) throws Exception {
    emit.accept(predict(input));
  }

  /**
   * The wire format of a stream when the client's Accept header asks for neither: NDJSON (one JSON
   * value a line, the default) or server-sent events. A client sending {@code Accept:
   * text/event-stream} gets SSE, {@code Accept: application/x-ndjson} NDJSON.
   */
  public StreamFormat streamFormat() {
    return StreamFormat.NDJSON;
  }

  /** Wire formats of a streamed response. */
  public enum StreamFormat {
    /** {@code application/x-ndjson}: each chunk's JSON then a newline. */
    NDJSON,
    /** {@code text/event-stream}: each chunk as {@code data: <json>} and a blank line. */
    SSE
  }

  /**
   * Turns a model output into the response body: any value Jackson can write as JSON, or a {@link
   * Response} (bytes with a content type, a status, headers). Stream chunks are always JSON.
   */
  public abstract Object encodeResponse(O output) throws Exception;

  /**
   * Checks a request before it is decoded; throw {@link HttpError} (say 401 or 403) to refuse it.
   * When not overridden, request headers are not even sent to the worker.
   */
  public void authorize(RequestInfo request) throws HttpError {}

  /**
   * False while this worker should not get traffic. Polled about once a second from the worker's
   * heartbeat thread, not the serving thread: it must be thread-safe and fast.
   */
  public boolean health() {
    return true;
  }

  /**
   * Model metadata shown by {@code GET /info} (name, version, labels...). Read in the front from an
   * instance on which {@code setup} was not called, so it must not depend on setup.
   */
  public java.util.Map<String, Object> metadata() {
    return java.util.Map.of();
  }

  /** Hooks run around each stage (in the worker) and around requests (in the front). */
  public List<Callback> callbacks() {
    return List.of();
  }

  /**
   * Sends a value to the server's loggers ({@code ValueLogger.process(key, value)} in the
   * front). Cheap and non-blocking; values must be writable as JSON.
   */
  protected final void log(String key, Object value) {
    logSink.log(key, value);
  }

  /** Where {@link #log} goes; set once by the worker process before {@link #setup}. */
  public final void attachLogSink(LogSink sink) {
    this.logSink = sink;
  }

  /** Receives {@link #log} calls. */
  @FunctionalInterface
  public interface LogSink {
    void log(String key, Object value);
  }
}
