package io.forkserve.worker.channel;

import static io.forkserve.worker.channel.FrameReaderTest.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.worker.Request;
import io.forkserve.worker.RequestInfo;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class FramesTest {
  private static final List<Request.Part> PARTS =
      List.of(
          new Request.Part("image", "cat.png", "image/png", new byte[] {0, (byte) 0x89, 'P', 0}),
          new Request.Part("note", null, "", utf8("é, \0 and all")));
  private static final Frames.ResponseMeta PNG =
      new Frames.ResponseMeta("image/png", Map.of("x-model", "v2"));

  @Test
  void requestMetaAndMultipartPartsRoundTrip() throws Exception {
    byte[] headers = utf8("POST\0/predict\0x-a\0one\0");
    Frame frame =
        encode(
            w -> {
              Frames.beginRequests(w, 2);
              Frames.putRequest(
                  w,
                  1L,
                  headers,
                  "application/octet-stream",
                  "n=2&tag=a%20b&tag=c",
                  List.of(),
                  ByteBuffer.wrap(new byte[] {0, 1, (byte) 255}));
              Frames.putRequest(
                  w, 2L, null, "multipart/form-data; b=x", "", PARTS, ByteBuffer.allocate(0));
              Frames.endBatch(w);
            });
    List<Request> got = new ArrayList<>();
    Frames.decodeFromFront(frame.type, frame.payload, onRequest((id, r) -> got.add(r)));
    Request raw = got.get(0);
    assertEquals("application/octet-stream", raw.contentType());
    assertArrayEquals(new byte[] {0, 1, (byte) 255}, raw.bytes());
    assertEquals(Map.of("n", List.of("2"), "tag", List.of("a b", "c")), raw.query());
    assertEquals("one", raw.header("X-A"));
    assertTrue(raw.parts().isEmpty());
    Request form = got.get(1);
    assertEquals("multipart/form-data", form.mediaType());
    assertNull(form.info());
    assertEquals(2, form.parts().size());
    Request.Part image = form.part("image");
    assertTrue(image.isFile());
    assertEquals("cat.png", image.fileName());
    assertEquals("image/png", image.contentType());
    assertArrayEquals(new byte[] {0, (byte) 0x89, 'P', 0}, image.bytes());
    Request.Part note = form.part("note");
    assertEquals(false, note.isFile());
    assertEquals("é, \0 and all", note.text());
  }

  @Test
  void requestEntryBytesFollowTheLayout() {
    Frame frame =
        encode(
            w -> {
              Frames.beginRequests(w, 1);
              Frames.putRequest(w, 9L, null, "a/b", "q", List.of(), ByteBuffer.wrap(utf8("xy")));
              Frames.endBatch(w);
            });
    ByteBuffer p = frame.payload.duplicate();
    assertEquals(1, p.getInt());
    assertEquals(9L, p.getLong());
    assertEquals(0, p.getInt()); // no header block
    assertEquals(5, p.getInt()); // "a/b\0q"
    byte[] meta = new byte[5];
    p.get(meta);
    assertEquals("a/b\0q", new String(meta, StandardCharsets.UTF_8));
    assertEquals(0, p.getInt()); // no parts
    assertEquals(2, p.getInt());
    assertEquals('x', p.get());
    assertEquals('y', p.get());
    assertEquals(0, p.getInt()); // no trace
    assertEquals(0, p.remaining());
  }

  @Test
  void responseMetaRoundTripsAndJsonSendsNone() throws Exception {
    Recorder got = new Recorder();
    Frame typed =
        encode(
            w -> {
              Frames.beginResponses(w, 2);
              Frames.putResponse(w, 1L, 201, FrameLayout.KIND_FINAL, PNG, new byte[] {'P'});
              Frames.putResponse(
                  w, 2L, 200, FrameLayout.KIND_FINAL, Frames.ResponseMeta.JSON, utf8("{}"));
              Frames.endBatch(w);
            });
    ByteBuffer p = typed.payload.duplicate();
    p.position(FrameLayout.COUNT_BYTES + FrameLayout.RESPONSE_META_OFFSET);
    assertEquals("image/png\0x-model\0v2".length(), p.getInt());
    Frames.decodeFromWorker(typed.type, typed.payload, got);
    assertEquals(
        List.of(
            "response 1 201 0 ResponseMeta[contentType=image/png, headers={x-model=v2}] P",
            "response 2 200 0 {}"),
        got.events);
    Frame json = encode(w -> Frames.writeResponse(w, 2L, 200, FrameLayout.KIND_FINAL, utf8("{}")));
    assertEquals(
        FrameLayout.COUNT_BYTES + FrameLayout.RESPONSE_MIN_BYTES + 2, json.payload.remaining());
  }

  @Test
  void cancelAndStreamAckRoundTripByteForByte() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(Channels.newChannel(sink), 16);
    Frames.writeCancel(writer, 0x0102030405060708L);
    writer.flush();
    assertArrayEquals(
        new byte[] {0, 0, 0, 9, FrameLayout.CANCEL, 1, 2, 3, 4, 5, 6, 7, 8}, sink.toByteArray());
    FrontRecorder got = new FrontRecorder();
    for (Frame frame :
        encodeAll(w -> Frames.writeCancel(w, 7L), w -> Frames.writeStreamAck(w, 7L, 1 << 20))) {
      Frames.decodeFromFront(frame.type, frame.payload, got);
    }
    assertEquals(List.of("cancel 7", "ack 7 1048576"), got.events);
    ByteBuffer negative = ByteBuffer.allocate(12).putLong(7L).putInt(-1).flip();
    FrameException e =
        assertThrows(
            FrameException.class,
            () -> Frames.decodeFromFront(FrameLayout.STREAM_ACK, negative, got));
    assertEquals("STREAM_ACK bytes -1 is negative", e.getMessage());
  }

  @Test
  void helloCarriesTheNewFlags() throws Exception {
    Frame frame =
        encode(w -> Frames.writeHello(w, 1, 2L, 8, true, false, true, true, "com.example.Api"));
    Frames.Hello hello = Frames.decodeHello(frame.type, frame.payload);
    assertTrue(hello.streaming() && hello.sse() && hello.raw());
    assertEquals(false, hello.wantsHeaders());
    assertEquals(8, hello.credit());
  }
  @Test
  void helloRoundTrips() throws Exception {
    Frame frame = encode(w -> Frames.writeHello(w, 3, 4242L, 64, true, false, "com.example.Api"));
    Frames.Hello hello = Frames.decodeHello(frame.type, frame.payload);
    assertEquals(
        new Frames.Hello(3, 4242L, 64, FrameLayout.FLAG_STREAMING, "com.example.Api"), hello);
    assertTrue(hello.streaming());
    assertEquals(false, hello.wantsHeaders());
  }

  @Test
  void theFirstFrameMustBeHello() {
    Frame ready = encode(w -> Frames.writeReady(w, 1));
    FrameException e =
        assertThrows(FrameException.class, () -> Frames.decodeHello(ready.type, ready.payload));
    assertEquals("worker did not start with HELLO (frame type 2)", e.getMessage());
  }

  @Test
  void everyFrameAWorkerSendsRoundTrips() throws Exception {
    Recorder got = new Recorder();
    for (Frame frame :
        encodeAll(
            w -> Frames.writeReady(w, 123_456_789L),
            w -> Frames.writeFailed(w, "setup failed: é"),
            w -> Frames.writeCredit(w, 17),
            w -> Frames.writeHealth(w, true),
            w -> Frames.writeHealth(w, false),
            w -> Frames.writeLog(w, "model.loss", utf8("{\"v\":0.5}")),
            w -> {
              Frames.beginResponses(w, 3);
              Frames.putResponse(w, 1L, 200, FrameLayout.KIND_FINAL, utf8("{\"y\":1}"));
              Frames.putResponse(w, 2L, 422, FrameLayout.KIND_FINAL, utf8("{\"error\":\"no\"}"));
              Frames.putResponse(w, Long.MAX_VALUE, 200, FrameLayout.KIND_CHUNK, new byte[0]);
              Frames.endBatch(w);
            },
            w -> Frames.writeResponse(w, 9L, 500, FrameLayout.KIND_END, utf8("{}")))) {
      Frames.decodeFromWorker(frame.type, frame.payload, got);
    }
    assertEquals(
        List.of(
            "ready 123456789",
            "failed setup failed: é",
            "credit 17",
            "health true",
            "health false",
            "log model.loss {\"v\":0.5}",
            "response 1 200 0 {\"y\":1}",
            "response 2 422 0 {\"error\":\"no\"}",
            "response 9223372036854775807 200 1 ",
            "response 9 500 2 {}"),
        got.events);
  }

  @Test
  void requestsRoundTripWithAndWithoutHeaders() throws Exception {
    ByteBuffer shared = ByteBuffer.wrap(utf8("{\"x\":[1,2]}"));
    byte[] headers = utf8("POST\0/predict\0authorization\0Bearer t\0x-a\0one\0x-a\0two\0");
    Frame frame =
        encode(
            w -> {
              Frames.beginRequests(w, 2);
              Frames.putRequest(w, 5L, null, shared);
              Frames.putRequest(w, 6L, headers, shared);
              Frames.endBatch(w);
            });
    assertEquals(0, shared.position());
    List<Long> ids = new ArrayList<>();
    List<RequestInfo> infos = new ArrayList<>();
    List<String> bodies = new ArrayList<>();
    Frames.decodeFromFront(
        frame.type,
        frame.payload,
        onRequest(
            (id, request) -> {
              ids.add(id);
              infos.add(request.info());
              bodies.add(new String(request.bytes(), StandardCharsets.UTF_8));
            }));
    assertEquals(List.of(5L, 6L), ids);
    assertEquals(List.of("{\"x\":[1,2]}", "{\"x\":[1,2]}"), bodies);
    assertNull(infos.get(0));
    RequestInfo info = infos.get(1);
    assertEquals("POST", info.method());
    assertEquals("/predict", info.path());
    assertEquals(Map.of("authorization", "Bearer t", "x-a", "one"), info.headers());
  }

  @Test
  void requestsCarryTheirTraceAndRefuseAMalformedOne() throws Exception {
    String trace = "4bf92f3577b34da6a3ce929d0e0e4736" + "00f067aa0ba902b7";
    Frame frame =
        encode(
            w -> {
              Frames.beginRequests(w, 2);
              Frames.putRequest(
                  w, 1L, null, "", "", List.of(), ByteBuffer.wrap(utf8("{}")), utf8(trace));
              Frames.putRequest(w, 2L, null, ByteBuffer.wrap(utf8("{}")));
              Frames.endBatch(w);
            });
    FrontRecorder recorder = new FrontRecorder();
    Frames.decodeFromFront(frame.type, frame.payload, recorder);
    assertEquals(List.of("1 " + trace, "2 null"), recorder.traces);
    Frame bad =
        encode(
            w -> {
              Frames.beginRequests(w, 1);
              Frames.putRequest(
                  w, 1L, null, "", "", List.of(), ByteBuffer.wrap(utf8("{}")), utf8("-1 OR 1=1"));
              Frames.endBatch(w);
            });
    assertThrows(FrameException.class,
        () -> Frames.decodeFromFront(bad.type, bad.payload, new FrontRecorder()));
  }

  @Test
  void everyTruncationOfABatchOrFixedFrameIsRefused() {
    List<Frame> frames =
        encodeAll(
            w -> Frames.writeHello(w, 1, 2L, 3, false, true, ""),
            w -> Frames.writeReady(w, 1L),
            w -> Frames.writeCredit(w, 1),
            w -> Frames.writeHealth(w, true),
            w -> Frames.writeLog(w, "key", new byte[0]),
            w -> Frames.writeResponse(w, 1L, 200, FrameLayout.KIND_FINAL, utf8("{\"a\":1}")),
            w -> {
              Frames.beginRequests(w, 1);
              Frames.putRequest(w, 1L, utf8("GET\0/\0"), ByteBuffer.wrap(utf8("{}")));
              Frames.endBatch(w);
            },
            w -> {
              Frames.beginRequests(w, 1);
              Frames.putRequest(
                  w, 1L, null, "multipart/form-data", "a=1", PARTS, ByteBuffer.allocate(0));
              Frames.endBatch(w);
            },
            w -> Frames.writeCancel(w, 7L),
            w -> Frames.writeStreamAck(w, 7L, 100),
            w -> {
              Frames.beginResponses(w, 1);
              Frames.putResponse(w, 1L, 201, FrameLayout.KIND_FINAL, PNG, new byte[] {1});
              Frames.endBatch(w);
            });
    for (Frame frame : frames) {
      int length = frame.payload.remaining();
      for (int cut = 0; cut < length; cut++) {
        ByteBuffer truncated = frame.payload.duplicate().limit(cut);
        FrameException e =
            assertThrows(
                FrameException.class,
                () -> decodeAny(frame.type, truncated),
                "type " + frame.type + " cut at " + cut);
        assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
      }
    }
  }

  @Test
  void lengthsAndCountsBeyondThePayloadAreRefusedWithoutAllocatingThem() {
    ByteBuffer hugeCount = ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).flip();
    FrameException count =
        assertThrows(
            FrameException.class,
            () -> Frames.decodeFromWorker(FrameLayout.RESPONSES, hugeCount, new Recorder()));
    assertEquals("RESPONSES count 2147483647 does not fit in 0 bytes", count.getMessage());

    ByteBuffer hugeBody =
        ByteBuffer.allocate(FrameLayout.COUNT_BYTES + FrameLayout.REQUEST_MIN_BYTES)
            .putInt(1)
            .putLong(1L)
            .putInt(0)
            .putInt(0)
            .putInt(0)
            .putInt(Integer.MAX_VALUE)
            .putInt(0) // the trace
            .flip();
    FrameException body =
        assertThrows(
            FrameException.class,
            () -> Frames.decodeFromFront(FrameLayout.REQUESTS, hugeBody, onRequest((i, r) -> {})));
    assertEquals("REQUESTS body length 2147483647 does not fit in 4 bytes", body.getMessage());

    ByteBuffer negative = ByteBuffer.allocate(4).putInt(-1).flip();
    assertThrows(
        FrameException.class,
        () -> Frames.decodeFromWorker(FrameLayout.CREDIT, negative, new Recorder()));
  }

  @Test
  void trailingBytesUnknownTypesAndOutOfRangeValuesAreRefused() {
    Frame ok = encode(w -> Frames.writeResponse(w, 1L, 200, FrameLayout.KIND_FINAL, utf8("{}")));
    ByteBuffer trailing =
        ByteBuffer.allocate(ok.payload.remaining() + 1).put(ok.payload.duplicate()).put((byte) 0);
    assertRefused(FrameLayout.RESPONSES, trailing.flip(), "RESPONSES has 1 trailing bytes");
    assertRefused((byte) 99, ByteBuffer.allocate(0), "unexpected frame type 99 from a worker");
    ByteBuffer kind = ok.payload.duplicate();
    kind.put(FrameLayout.COUNT_BYTES + FrameLayout.RESPONSE_KIND_OFFSET, (byte) 7);
    assertRefused(FrameLayout.RESPONSES, kind, "RESPONSES kind 7 unknown");
    ByteBuffer status = ok.payload.duplicate();
    status.putShort(FrameLayout.COUNT_BYTES + FrameLayout.RESPONSE_STATUS_OFFSET, (short) 0);
    assertRefused(FrameLayout.RESPONSES, status, "RESPONSES status 0 is not an HTTP status");
    ByteBuffer health = ByteBuffer.allocate(1).put((byte) 2).flip();
    assertRefused(FrameLayout.HEALTH, health, "HEALTH byte 2 is neither 0 nor 1");
    FrameException fromFront =
        assertThrows(
            FrameException.class,
            () ->
                Frames.decodeFromFront(
                    FrameLayout.CREDIT, ByteBuffer.allocate(4), onRequest((i, r) -> {})));
    assertEquals("unexpected frame type 7 from the front", fromFront.getMessage());
  }

  @Test
  void garbageIsEitherDecodedOrRefusedWithAFrameException() {
    Random random = new Random(20261202L);
    byte[] types = {
      FrameLayout.HELLO,
      FrameLayout.READY,
      FrameLayout.FAILED,
      FrameLayout.RESPONSES,
      FrameLayout.HEALTH,
      FrameLayout.LOG,
      FrameLayout.CREDIT,
      FrameLayout.REQUESTS,
      FrameLayout.CANCEL,
      FrameLayout.STREAM_ACK
    };
    for (int round = 0; round < 20_000; round++) {
      byte[] bytes = new byte[random.nextInt(40)];
      random.nextBytes(bytes);
      if (bytes.length >= 4 && random.nextBoolean()) {
        ByteBuffer.wrap(bytes).putInt(random.nextInt(3)); // a plausible count or length
      }
      byte type = types[random.nextInt(types.length)];
      try {
        decodeAny(type, ByteBuffer.wrap(bytes));
      } catch (FrameException expected) {
        // refused: fine
      }
    }
  }

  private static void assertRefused(byte type, ByteBuffer payload, String message) {
    FrameException e =
        assertThrows(
            FrameException.class, () -> Frames.decodeFromWorker(type, payload, new Recorder()));
    assertEquals(message, e.getMessage());
  }

  private static void decodeAny(byte type, ByteBuffer payload) throws FrameException {
    if (type == FrameLayout.HELLO) {
      Frames.decodeHello(type, payload);
    } else if (type == FrameLayout.REQUESTS
        || type == FrameLayout.CANCEL
        || type == FrameLayout.STREAM_ACK) {
      Frames.decodeFromFront(type, payload, new FrontRecorder());
    } else {
      Frames.decodeFromWorker(type, payload, new Recorder());
    }
  }

  private static Frames.FromFront onRequest(BiConsumer<Long, Request> requests) {
    FrontRecorder recorder = new FrontRecorder();
    recorder.requests = requests;
    return recorder;
  }

  /** Records what the front sent: requests to a consumer, cancels and acks as lines. */
  private static final class FrontRecorder implements Frames.FromFront {
    BiConsumer<Long, Request> requests = (id, request) -> {};
    final List<String> events = new ArrayList<>();
    final List<String> traces = new ArrayList<>();

    @Override
    public void request(long id, Request request, String trace) {
      traces.add(id + " " + trace);
      requests.accept(id, request);
    }

    @Override
    public void cancel(long id) {
      events.add("cancel " + id);
    }

    @Override
    public void streamAck(long id, int bytes) {
      events.add("ack " + id + " " + bytes);
    }
  }

  private record Frame(byte type, ByteBuffer payload) {}

  private static Frame encode(Consumer<FrameWriter> write) {
    return encodeAll(write).get(0);
  }

  @SafeVarargs
  private static List<Frame> encodeAll(Consumer<FrameWriter>... writes) {
    try {
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      FrameWriter writer = new FrameWriter(Channels.newChannel(sink), 16);
      for (Consumer<FrameWriter> write : writes) {
        write.accept(writer);
      }
      writer.flush();
      FrameReader reader = FrameReaderTest.reader(sink.toByteArray(), 16);
      List<Frame> frames = new ArrayList<>();
      for (int i = 0; i < writes.length; i++) {
        ByteBuffer payload = reader.next();
        ByteBuffer copy = ByteBuffer.allocate(payload.remaining()).put(payload).flip();
        frames.add(new Frame(reader.type(), copy));
      }
      return frames;
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Records what a worker sent, one line per call. */
  private static final class Recorder implements Frames.FromWorker {
    final List<String> events = new ArrayList<>();

    @Override
    public void ready(long setupNanos) {
      events.add("ready " + setupNanos);
    }

    @Override
    public void failed(String message) {
      events.add("failed " + message);
    }

    @Override
    public void response(long id, int status, byte kind, Frames.ResponseMeta meta, byte[] body) {
      events.add(
          "response "
              + id
              + " "
              + status
              + " "
              + kind
              + " "
              + (meta.isJson() ? "" : meta + " ")
              + new String(body, StandardCharsets.UTF_8));
    }

    @Override
    public void credit(int n) {
      events.add("credit " + n);
    }

    @Override
    public void health(boolean healthy) {
      events.add("health " + healthy);
    }

    @Override
    public void log(String key, byte[] json) {
      events.add("log " + key + " " + new String(json, StandardCharsets.UTF_8));
    }
  }
}
