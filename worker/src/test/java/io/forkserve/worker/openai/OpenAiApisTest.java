package io.forkserve.worker.openai;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenAiApisTest {
  /** Emits the words of "one two three" until told to stop. */
  static final class Words extends OpenAiChatApi {
    int offered;

    @Override
    public void generate(ChatRequest request, TokenSink sink) {
      for (String word : List.of("one ", "two ", "three")) {
        offered++;
        if (!sink.emit(word)) {
          return;
        }
      }
    }
  }

  private static ChatRequest chat(Integer maxTokens, boolean stream, boolean usage) {
    return new ChatRequest(
        "words",
        List.of(new ChatMessage("system", "ab"), new ChatMessage("user", "cde")),
        maxTokens,
        1,
        1,
        null,
        stream,
        usage);
  }

  @Test
  void predict_wholeCompletionWithUsage() throws Exception {
    JsonNode c = (JsonNode) new Words().predict(chat(null, false, false));
    assertEquals("chat.completion", c.get("object").asText());
    assertEquals("words", c.get("model").asText());
    assertEquals("one two three", c.at("/choices/0/message/content").asText());
    assertEquals("assistant", c.at("/choices/0/message/role").asText());
    assertEquals("stop", c.at("/choices/0/finish_reason").asText());
    assertEquals(5, c.at("/usage/prompt_tokens").asInt()); // "ab" + "cde", in characters
    assertEquals(3, c.at("/usage/completion_tokens").asInt());
    assertEquals(8, c.at("/usage/total_tokens").asInt());
  }

  @Test
  void predict_stopsAtMaxTokens() throws Exception {
    Words api = new Words();
    JsonNode c = (JsonNode) api.predict(chat(2, false, false));
    assertEquals("one two ", c.at("/choices/0/message/content").asText());
    assertEquals("length", c.at("/choices/0/finish_reason").asText());
    assertEquals(2, api.offered);
  }

  @Test
  void predictStream_roleTokensFinishAndUsageChunks() throws Exception {
    List<JsonNode> chunks = new ArrayList<>();
    new Words().predictStream(chat(2, true, true), o -> chunks.add((JsonNode) o));
    assertEquals(5, chunks.size());
    assertEquals("assistant", chunks.get(0).at("/choices/0/delta/role").asText());
    assertEquals("one ", chunks.get(1).at("/choices/0/delta/content").asText());
    assertEquals("two ", chunks.get(2).at("/choices/0/delta/content").asText());
    assertEquals("length", chunks.get(3).at("/choices/0/finish_reason").asText());
    assertEquals(0, chunks.get(4).get("choices").size());
    assertEquals(2, chunks.get(4).at("/usage/completion_tokens").asInt());
    String id = chunks.get(0).get("id").asText();
    for (JsonNode chunk : chunks) {
      assertEquals("chat.completion.chunk", chunk.get("object").asText());
      assertEquals(id, chunk.get("id").asText());
    }
  }

  @Test
  void predictStream_withoutStreamEmitsTheWholeCompletionOnce() throws Exception {
    List<Object> chunks = new ArrayList<>();
    new Words().predictStream(chat(null, false, false), chunks::add);
    assertEquals(1, chunks.size());
    assertEquals("chat.completion", ((JsonNode) chunks.get(0)).get("object").asText());
  }

  @Test
  void maxTokensOverTheLimit_is400() {
    OpenAiError e =
        assertThrows(OpenAiError.class, () -> new Words().predict(chat(5000, false, false)));
    assertEquals(400, e.status());
  }

  /** Embeds a text as {length, 0.5}. */
  static final class Lengths extends OpenAiEmbeddingApi {
    @Override
    public float[] embed(String text) {
      return new float[] {text.length(), 0.5f};
    }
  }

  @Test
  void embeddings_floatsAndBase64OfLittleEndianFloats() throws Exception {
    JsonNode floats =
        (JsonNode) new Lengths().predict(new EmbeddingRequest("e", List.of("abc", "de"), false));
    assertEquals("list", floats.get("object").asText());
    assertEquals(1, floats.at("/data/1/index").asInt());
    assertEquals(2.0, floats.at("/data/1/embedding/0").asDouble());
    assertEquals(5, floats.at("/usage/prompt_tokens").asInt());
    JsonNode base64 =
        (JsonNode) new Lengths().predict(new EmbeddingRequest("e", List.of("abc"), true));
    byte[] bytes = Base64.getDecoder().decode(base64.at("/data/0/embedding").asText());
    float[] decoded = new float[2];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(decoded);
    assertArrayEquals(new float[] {3f, 0.5f}, decoded);
    assertEquals(
        "AABAQAAAAD8=", OpenAiEmbeddingApi.base64(new float[] {3f, 0.5f})); // 3.0f, 0.5f LE
  }
}
