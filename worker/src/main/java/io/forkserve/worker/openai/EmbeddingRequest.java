package io.forkserve.worker.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code POST /v1/embeddings} body, checked: {@link #parse} is the one place its rules live,
 * run by the front and by the worker.
 *
 * @param model the model asked for: the name of an API in the server
 * @param inputs the texts to embed ({@code input}: a string or an array of strings)
 * @param base64 {@code encoding_format: "base64"}: each vector as base64 of little-endian floats
 */
public record EmbeddingRequest(String model, List<String> inputs, boolean base64) {
  /** Most texts in one request, as OpenAI's API allows. */
  public static final int MAX_INPUTS = 2048;

  /** Checks {@code body}; throws {@link OpenAiError} (400, naming the field) on the first fault. */
  public static EmbeddingRequest parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw OpenAiError.invalid(null, "the request body must be a JSON object");
    }
    String model = ChatRequest.model(body);
    JsonNode input = body.get("input");
    if (input == null || input.isNull()) {
      throw OpenAiError.invalid("input", "missing required parameter: 'input'");
    }
    List<String> inputs = new ArrayList<>();
    if (input.isTextual()) {
      inputs.add(input.asText());
    } else if (input.isArray() && !input.isEmpty() && input.size() <= MAX_INPUTS) {
      for (JsonNode text : input) {
        if (!text.isTextual()) {
          throw OpenAiError.invalid(
              "input", "'input' must be a string or an array of strings (token arrays are not"
                  + " supported)");
        }
        inputs.add(text.asText());
      }
    } else {
      throw OpenAiError.invalid(
          "input", "'input' must be a string or an array of 1 to " + MAX_INPUTS + " strings");
    }
    JsonNode format = body.get("encoding_format");
    boolean base64 = false;
    if (format != null && !format.isNull()) {
      if (!format.isTextual()
          || !(format.asText().equals("float") || format.asText().equals("base64"))) {
        throw OpenAiError.invalid(
            "encoding_format", "'encoding_format' must be \"float\" or \"base64\"");
      }
      base64 = format.asText().equals("base64");
    }
    return new EmbeddingRequest(model, List.copyOf(inputs), base64);
  }
}
