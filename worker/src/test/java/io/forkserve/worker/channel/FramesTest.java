package io.forkserve.worker.channel;

import static io.forkserve.worker.channel.FrameReaderTest.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.worker.RequestInfo;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class FramesTest {
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
        (id, info, body) -> {
          ids.add(id);
          infos.add(info);
          bodies.add(new String(body, StandardCharsets.UTF_8));
        });
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
              Frames.putRequest(w, 1L, null, ByteBuffer.wrap(utf8("{}")), utf8(trace));
              Frames.putRequest(w, 2L, null, ByteBuffer.wrap(utf8("{}")));
              Frames.endBatch(w);
            });
    List<String> traces = new ArrayList<>();
    Frames.decodeFromFront(frame.type, frame.payload,
        new Frames.FromFront() {
          @Override
          public void request(long id, RequestInfo info, byte[] body) {
            throw new AssertionError("the 4-argument method is called");
          }

          @Override
          public void request(long id, RequestInfo info, byte[] body, String t) {
            traces.add(id + " " + t);
          }
        });
    assertEquals(List.of("1 " + trace, "2 null"), traces);
    Frame bad =
        encode(
            w -> {
              Frames.beginRequests(w, 1);
              Frames.putRequest(w, 1L, null, ByteBuffer.wrap(utf8("{}")), utf8("-1 OR 1=1"));
              Frames.endBatch(w);
            });
    assertThrows(FrameException.class,
        () -> Frames.decodeFromFront(bad.type, bad.payload, (id, info, body) -> {}));
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
            .putInt(Integer.MAX_VALUE)
            .putInt(0) // the trace
            .flip();
    FrameException body =
        assertThrows(
            FrameException.class,
            () -> Frames.decodeFromFront(FrameLayout.REQUESTS, hugeBody, (i, h, b) -> {}));
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
                    FrameLayout.CREDIT, ByteBuffer.allocate(4), (i, h, b) -> {}));
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
      FrameLayout.REQUESTS
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
    } else if (type == FrameLayout.REQUESTS) {
      Frames.decodeFromFront(type, payload, (id, info, body) -> {});
    } else {
      Frames.decodeFromWorker(type, payload, new Recorder());
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
    public void response(long id, int status, byte kind, byte[] body) {
      events.add(
          "response "
              + id
              + " "
              + status
              + " "
              + kind
              + " "
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
