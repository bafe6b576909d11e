package io.forkserve.runtime.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StreamEncodingTest {
  @Test
  void ndjsonIsOneLinePerChunkAndTheErrorIsTheLastLine() {
    assertEquals("{\"a\":1}\n", text(StreamEncoding.NDJSON.chunk(utf8("{\"a\":1}"))));
    assertEquals(0, StreamEncoding.NDJSON.end(200, null).length);
    assertEquals(
        "{\"error\":\"x\"}\n", text(StreamEncoding.NDJSON.end(500, utf8("{\"error\":\"x\"}"))));
  }

  @Test
  void sseIsOneDataEventPerChunkAndAnErrorEvent() {
    assertEquals("data: {\"a\":1}\n\n", text(StreamEncoding.SSE.chunk(utf8("{\"a\":1}"))));
    assertEquals("data: a\ndata: b\n\n", text(StreamEncoding.SSE.chunk(utf8("a\nb"))));
    assertEquals(
        "event: error\ndata: {\"status\":500}\n\n",
        text(StreamEncoding.SSE.end(500, utf8("{\"status\":500}"))));
    assertEquals(0, StreamEncoding.SSE.end(200, null).length);
    assertEquals("data: [DONE]\n\n", text(StreamEncoding.event(null, utf8("[DONE]"))));
  }

  @Test
  void theAcceptHeaderWinsOverTheApiDefault() {
    assertSame(
        StreamEncoding.SSE, StreamEncoding.forAccept("text/event-stream", StreamEncoding.NDJSON));
    assertSame(
        StreamEncoding.NDJSON,
        StreamEncoding.forAccept("application/x-ndjson, */*", StreamEncoding.SSE));
    assertSame(StreamEncoding.SSE, StreamEncoding.forAccept("*/*", StreamEncoding.SSE));
    assertSame(StreamEncoding.NDJSON, StreamEncoding.forAccept(null, StreamEncoding.NDJSON));
  }

  @Test
  void jsonApisTakeWhatCurlSendsAndRefuseBinary() {
    assertTrue(ApiHandler.takenAsJson(""));
    assertTrue(ApiHandler.takenAsJson(ApiHandler.mediaType("application/json; charset=utf-8")));
    assertTrue(ApiHandler.takenAsJson(ApiHandler.mediaType("application/x-www-form-urlencoded")));
    assertTrue(ApiHandler.takenAsJson("application/vnd.api+json"));
    assertEquals(false, ApiHandler.takenAsJson("application/octet-stream"));
    assertEquals(false, ApiHandler.takenAsJson(ApiHandler.mediaType("Multipart/Form-Data; b=1")));
  }

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
