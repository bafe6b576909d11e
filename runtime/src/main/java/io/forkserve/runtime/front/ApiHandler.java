package io.forkserve.runtime.front;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.dispatch.Job;
import io.forkserve.worker.Request;
import io.forkserve.worker.channel.Outcome;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.server.handlers.form.FormData;
import io.undertow.server.handlers.form.FormDataParser;
import io.undertow.server.handlers.form.FormParserFactory;
import io.undertow.server.handlers.form.MultiPartParserDefinition;
import io.undertow.util.AttachmentKey;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.SameThreadExecutor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executor;

/**
 * Terminal handler of the API route: reads the body without blocking (and without parsing it),
 * queues a {@link Job}, and leaves the exchange open for the worker's answer. The {@code --timeout}
 * deadline starts when the headers have arrived: a body still not complete by then is answered
 * 408 and its connection closed, a multipart upload still not parsed has its connection closed
 * ({@link BodyReader}), so a client trickling a body cannot hold a connection longer.
 */
final class ApiHandler implements HttpHandler {
  /*
   * Content types. An api that takes requests as they came (FLAG_RAW: it overrides
   * decodeRequest(Request)) gets any body as sent, except multipart/form-data, which is parsed
   * here with Undertow's multipart parser (each part kept in memory up to --max-file-size) and
   * sent as parts; a malformed upload is 400 and a file over its limit 413, before any worker
   * sees it. Other apis take JSON: a body whose content type cannot be JSON (multipart, binary,
   * images...) is 415. No content type, text/plain and application/x-www-form-urlencoded (what
   * curl -d sends) are taken as JSON, as before.
   */

  private static final byte[] NO_HEADERS = new byte[0];
  private static final byte[] QUEUE_FULL =
      Outcome.errorBody(503, "server busy: request queue is full, retry later");
  private static final byte[] SHUTTING_DOWN =
      Outcome.errorBody(503, "server is shutting down, retry on another instance");
  private static final String MULTIPART = "multipart/form-data";

  /**
   * A body another handler has read and routed here (the OpenAI routes): it is queued as it is,
   * answered in {@code encoding}, with the request's {@code deadline} on the dispatcher's clock.
   */
  record Routed(ByteBuffer body, StreamEncoding encoding, long deadline) {}

  static final AttachmentKey<Routed> ROUTED = AttachmentKey.create(Routed.class);

  /** What the handler needs to know of the api and the limits. */
  record Options(
      boolean sendHeaders,
      boolean rawRequests,
      StreamEncoding streamDefault,
      long maxPayloadBytes,
      long maxFileBytes,
      Runnable onStreamCancelled) {}

  private final Dispatcher dispatcher;
  private final Executor streamPool;
  private final Options options;
  private final FormParserFactory forms;

  ApiHandler(
      Dispatcher dispatcher, boolean sendHeaders, Executor streamPool, long maxPayloadBytes) {
    this(
        dispatcher,
        streamPool,
        new Options(
            sendHeaders, false, StreamEncoding.NDJSON, maxPayloadBytes, maxPayloadBytes, () -> {}));
  }

  ApiHandler(Dispatcher dispatcher, Executor streamPool, Options options) {
    this.dispatcher = dispatcher;
    this.streamPool = streamPool;
    this.options = options;
    MultiPartParserDefinition multipart = new MultiPartParserDefinition();
    multipart.setMaxIndividualFileSize(options.maxFileBytes());
    multipart.setFileSizeThreshold(options.maxFileBytes() + 1);
    multipart.setFieldSizeThreshold(options.maxFileBytes() + 1);
    multipart.setDefaultEncoding(StandardCharsets.UTF_8.name());
    this.forms = FormParserFactory.builder(false).addParsers(multipart).build();
  }

  @Override
  public void handleRequest(HttpServerExchange exchange) {
    String contentType = exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
    Routed routed = exchange.getAttachment(ROUTED);
    if (routed != null) {
      queue(exchange, routed.body(), contentType, List.of(), routed.deadline(), routed.encoding());
      return;
    }
    long deadline = dispatcher.deadlineFromNow();
    String media = mediaType(contentType);
    if (options.rawRequests() && media.equals(MULTIPART)) {
      exchange.setMaxEntitySize(options.maxPayloadBytes());
      exchange.dispatch(streamPool, () -> parseMultipart(exchange, contentType, deadline));
      return;
    }
    if (!options.rawRequests() && !takenAsJson(media)) {
      exchange.setPersistent(false); // the body is left unread
      Errors.send(
          exchange,
          415,
          "unsupported content type "
              + media
              + ": this API takes JSON (application/json)");
      return;
    }
    BodyReader.readFull(
        exchange,
        options.maxPayloadBytes(),
        deadline - dispatcher.clock().nanoTime(),
        (ex, body) -> queue(ex, ByteBuffer.wrap(body), contentType, List.of(), deadline, null));
  }

  /** True for the media types a JSON api takes (see the class comment). */
  static boolean takenAsJson(String media) {
    return media.isEmpty()
        || media.equals("application/json")
        || media.endsWith("+json")
        || media.equals("text/plain")
        || media.equals("application/x-www-form-urlencoded");
  }

  /** The media type of a Content-Type header, lower case, without parameters ("" for none). */
  static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  /** Parses a multipart upload on a blocking thread and queues its parts. */
  private void parseMultipart(HttpServerExchange exchange, String contentType, long deadline) {
    BodyReader.Deadline bodyDeadline =
        BodyReader.closeAfter(exchange, deadline - dispatcher.clock().nanoTime());
    List<Request.Part> parts;
    try (FormDataParser parser = forms.createParser(exchange)) {
      if (parser == null) {
        bodyDeadline.cancel();
        exchange.setPersistent(false);
        Errors.send(exchange, 400, "malformed multipart body: no boundary in the content type");
        return;
      }
      exchange.startBlocking();
      FormData data = parser.parseBlocking();
      if (!bodyDeadline.cancel()) {
        return;
      }
      parts = parts(data);
    } catch (MultiPartParserDefinition.FileTooLargeException e) {
      if (!bodyDeadline.cancel()) {
        return; // the deadline closed the connection
      }
      exchange.setPersistent(false);
      Errors.send(
          exchange, 413, "a file is over the limit of " + options.maxFileBytes() + " bytes");
      return;
    } catch (RequestTooBigException e) {
      if (!bodyDeadline.cancel()) {
        return;
      }
      exchange.setPersistent(false);
      Errors.send(
          exchange,
          413,
          "request body over the limit of " + options.maxPayloadBytes() + " bytes");
      return;
    } catch (IOException | RuntimeException e) {
      if (!bodyDeadline.cancel()) {
        return;
      }
      exchange.setPersistent(false);
      Errors.send(exchange, 400, "malformed multipart body: " + e.getMessage());
      return;
    }
    queue(exchange, ByteBuffer.allocate(0), contentType, parts, deadline, null);
  }

  private static List<Request.Part> parts(FormData data) throws IOException {
    List<Request.Part> parts = new ArrayList<>();
    for (String name : data) {
      for (FormData.FormValue value : data.get(name)) {
        String type =
            value.getHeaders() == null ? null : value.getHeaders().getFirst(Headers.CONTENT_TYPE);
        byte[] bytes;
        if (value.isFileItem()) {
          try (InputStream in = value.getFileItem().getInputStream()) {
            bytes = in.readAllBytes();
          }
        } else {
          bytes = value.getValue().getBytes(StandardCharsets.UTF_8);
        }
        String fileName = value.getFileName();
        parts.add(new Request.Part(name, fileName, type == null ? "" : type, bytes));
      }
    }
    return parts;
  }

  private void queue(
      HttpServerExchange exchange,
      ByteBuffer body,
      String contentType,
      List<Request.Part> parts,
      long deadline,
      StreamEncoding chosen) {
    StreamEncoding encoding =
        chosen != null
            ? chosen
            : StreamEncoding.forAccept(
                exchange.getRequestHeaders().getFirst(Headers.ACCEPT), options.streamDefault());
    Job job =
        new Job(
            dispatcher.nextId(),
            body,
            options.sendHeaders() ? encodeHeaders(exchange) : NO_HEADERS,
            contentType == null ? "" : contentType,
            exchange.getQueryString(),
            parts,
            deadline,
            new ExchangeResponder(exchange, streamPool, encoding, options.onStreamCancelled()));
    TraceParent trace = exchange.getAttachment(TraceParent.KEY);
    if (trace != null) {
      job.trace(trace.frameBytes());
    }
    exchange.dispatch(SameThreadExecutor.INSTANCE, () -> submit(exchange, job));
  }

  private void submit(HttpServerExchange exchange, Job job) {
    ArmedReads.arm(exchange);
    if (!dispatcher.isAccepting()) {
      job.respond(503, SHUTTING_DOWN, true);
    } else if (!(exchange.isInIoThread()
        ? dispatcher.submitAfterPass(job, exchange.getIoThread())
        : dispatcher.submit(job))) {
      job.respond(503, QUEUE_FULL, true);
    }
  }

  /** "method\0path\0name\0value\0..." with lower-case names, as the worker protocol says. */
  static byte[] encodeHeaders(HttpServerExchange exchange) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    write(out, exchange.getRequestMethod().toString());
    write(out, exchange.getRequestPath());
    for (HeaderValues values : exchange.getRequestHeaders()) {
      write(out, values.getHeaderName().toString().toLowerCase(Locale.ROOT));
      write(out, values.getFirst());
    }
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    out.write(0);
  }

  @Override
  public String toString() {
    return "ApiHandler["
        + (options.sendHeaders() ? "with headers" : "body only")
        + (options.rawRequests() ? ", any content type" : ", JSON")
        + "]";
  }
}
