package io.forkserve.runtime.front;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.worker.channel.Outcome;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OpenAiErrorsTest {
  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  @Test
  void reshape_forkserveErrorBecomesOpenAiShaped() {
    assertEquals(
        "{\"error\":{\"message\":\"request body over the limit of 5 bytes\","
            + "\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"request_too_large\"}}",
        text(
            OpenAiErrors.reshape(
                413, Outcome.errorBody(413, "request body over the limit of 5 bytes"))));
    assertEquals(
        "{\"error\":{\"message\":\"predict failed: X\",\"type\":\"server_error\","
            + "\"param\":null,\"code\":null}}",
        text(OpenAiErrors.reshape(500, Outcome.errorBody(500, "predict failed: X"))));
    assertEquals(
        "{\"error\":{\"message\":\"wrong API key\",\"type\":\"authentication_error\","
            + "\"param\":null,\"code\":\"invalid_api_key\"}}",
        text(OpenAiErrors.reshape(401, Outcome.errorBody(401, "wrong API key"))));
  }

  @Test
  void reshape_leavesAnOpenAiErrorAsItIs() {
    String openAi =
        "{\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\",\"param\":\"model\","
            + "\"code\":\"model_not_found\"}}";
    assertEquals(openAi, text(OpenAiErrors.reshape(404, openAi.getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void reshape_notJson() {
    assertEquals(
        "{\"error\":{\"message\":\"error 502\",\"type\":\"server_error\",\"param\":null,"
            + "\"code\":null}}",
        text(OpenAiErrors.reshape(502, "<html>".getBytes(StandardCharsets.UTF_8))));
  }

  @Test
  void events_endWithDoneOrTheErrorEvent() {
    byte[] chunk = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
    assertEquals("data: {\"a\":1}\n\n", text(OpenAiEncoding.EVENTS.chunk(chunk)));
    assertEquals("data: [DONE]\n\n", text(OpenAiEncoding.EVENTS.end(200, null)));
    assertEquals(
        "data: {\"error\":{\"message\":\"predict failed: X\",\"type\":\"server_error\","
            + "\"param\":null,\"code\":null}}\n\n",
        text(OpenAiEncoding.EVENTS.end(500, Outcome.errorBody(500, "predict failed: X"))));
    assertEquals("text/event-stream", OpenAiEncoding.EVENTS.contentType());
  }

  @Test
  void whole_isTheOneChunkAsJson() {
    byte[] chunk = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
    assertEquals("{\"a\":1}", text(OpenAiEncoding.WHOLE.chunk(chunk)));
    assertEquals("", text(OpenAiEncoding.WHOLE.end(200, null)));
    assertEquals("application/json", OpenAiEncoding.WHOLE.contentType());
  }
}
