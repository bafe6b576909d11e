package io.forkserve.worker.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChatRequestTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static ChatRequest parse(String json) throws Exception {
    return ChatRequest.parse(MAPPER.readTree(json));
  }

  private static OpenAiError refused(String json) {
    return assertThrows(OpenAiError.class, () -> parse(json));
  }

  @Test
  void parse_fullRequest() throws Exception {
    ChatRequest r =
        parse(
            """
            {"model": "m", "messages": [{"role": "system", "content": "be brief"},
              {"role": "user", "content": [{"type": "text", "text": "hel"},
                                           {"type": "text", "text": "lo"}]}],
             "max_tokens": 7, "temperature": 0, "top_p": 0.5, "seed": 42, "stream": true,
             "stream_options": {"include_usage": true}, "stop": "ignored"}
            """);
    assertEquals("m", r.model());
    assertEquals(
        List.of(new ChatMessage("system", "be brief"), new ChatMessage("user", "hello")),
        r.messages());
    assertEquals(7, r.maxTokens());
    assertEquals(0.0, r.temperature());
    assertEquals(0.5, r.topP());
    assertEquals(42L, r.seed());
    assertTrue(r.stream());
    assertTrue(r.includeUsage());
  }

  @Test
  void parse_defaults() throws Exception {
    ChatRequest r =
        parse("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}");
    assertNull(r.maxTokens());
    assertEquals(1.0, r.temperature());
    assertEquals(1.0, r.topP());
    assertNull(r.seed());
    assertFalse(r.stream());
    assertFalse(r.includeUsage());
  }

  @Test
  void parse_maxCompletionTokensWinsOverMaxTokens() throws Exception {
    ChatRequest r =
        parse(
            "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"max_tokens\": 5, \"max_completion_tokens\": 9}");
    assertEquals(9, r.maxTokens());
  }

  @Test
  void parse_refusesEachFaultNamingTheField() {
    String ok = "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]";
    assertEquals("messages", refused("{\"model\": \"m\"}").param());
    assertEquals("messages", refused("{\"model\": \"m\", \"messages\": \"hi\"}").param());
    assertEquals("messages", refused("{\"model\": \"m\", \"messages\": []}").param());
    assertEquals("model", refused("{" + ok + "}").param());
    assertEquals("model", refused("{\"model\": 3, " + ok + "}").param());
    assertEquals(
        "messages[0].role",
        refused("{\"model\": \"m\", \"messages\": [{\"role\": \"king\", \"content\": \"x\"}]}")
            .param());
    assertEquals(
        "messages[0].content",
        refused("{\"model\": \"m\", \"messages\": [{\"role\": \"user\"}]}").param());
    assertEquals(
        "messages[0].content",
        refused("{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": 5}]}")
            .param());
    assertEquals("messages[0]", refused("{\"model\": \"m\", \"messages\": [7]}").param());
    assertEquals(
        "max_tokens", refused("{\"model\": \"m\", " + ok + ", \"max_tokens\": 0}").param());
    assertEquals(
        "max_tokens", refused("{\"model\": \"m\", " + ok + ", \"max_tokens\": \"5\"}").param());
    assertEquals(
        "temperature", refused("{\"model\": \"m\", " + ok + ", \"temperature\": 3}").param());
    assertEquals("top_p", refused("{\"model\": \"m\", " + ok + ", \"top_p\": \"a\"}").param());
    assertEquals("stream", refused("{\"model\": \"m\", " + ok + ", \"stream\": \"yes\"}").param());
    assertEquals("n", refused("{\"model\": \"m\", " + ok + ", \"n\": 2}").param());
    assertEquals("seed", refused("{\"model\": \"m\", " + ok + ", \"seed\": 1.5}").param());
    assertNull(refused("[1, 2]").param());
    assertEquals(400, refused("{}").status());
  }

  @Test
  void errorBody_isOpenAiShaped() {
    OpenAiError e = refused("{\"model\": \"m\"}");
    assertEquals(
        "{\"error\":{\"message\":\"missing required parameter: 'messages'\","
            + "\"type\":\"invalid_request_error\",\"param\":\"messages\",\"code\":null}}",
        new String(e.body(), StandardCharsets.UTF_8));
    assertEquals(
        "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,"
            + "\"code\":\"x\"}}",
        new String(OpenAiError.body(503, "boom", null, "x"), StandardCharsets.UTF_8));
  }
}
