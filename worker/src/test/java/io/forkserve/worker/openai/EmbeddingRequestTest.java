package io.forkserve.worker.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

class EmbeddingRequestTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static EmbeddingRequest parse(String json) throws Exception {
    return EmbeddingRequest.parse(MAPPER.readTree(json));
  }

  @Test
  void parse_stringOrArray() throws Exception {
    assertEquals(List.of("a"), parse("{\"model\": \"e\", \"input\": \"a\"}").inputs());
    EmbeddingRequest r =
        parse("{\"model\": \"e\", \"input\": [\"a\", \"b\"], \"encoding_format\": \"base64\"}");
    assertEquals(List.of("a", "b"), r.inputs());
    assertTrue(r.base64());
    assertFalse(parse("{\"model\": \"e\", \"input\": \"a\", \"encoding_format\": \"float\"}")
        .base64());
  }

  @Test
  void parse_refusesEachFault() {
    for (String bad :
        List.of(
            "{\"model\": \"e\"}",
            "{\"model\": \"e\", \"input\": []}",
            "{\"model\": \"e\", \"input\": [1, 2]}",
            "{\"model\": \"e\", \"input\": 5}",
            "{\"model\": \"e\", \"input\": \"a\", \"encoding_format\": \"hex\"}")) {
      OpenAiError e = assertThrows(OpenAiError.class, () -> parse(bad), bad);
      assertEquals(400, e.status(), bad);
    }
    assertEquals(
        "model",
        assertThrows(OpenAiError.class, () -> parse("{\"input\": \"a\"}")).param());
    String many = "[" + "\"a\",".repeat(EmbeddingRequest.MAX_INPUTS) + "\"a\"]";
    assertEquals(
        "input",
        assertThrows(OpenAiError.class, () -> parse("{\"model\": \"e\", \"input\": " + many + "}"))
            .param());
  }
}
