package io.forkserve.worker.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A {@code POST /v1/chat/completions} body, checked: {@link #parse} is the one place its rules
 * live, run by the front (to refuse a bad request before any worker sees it) and by the worker.
 * Fields this server does not use ({@code stop}, {@code logprobs}, {@code tools}...) are ignored.
 *
 * @param model the model asked for: the name of an API in the server
 * @param messages the conversation, oldest first, at least one
 * @param maxTokens {@code max_completion_tokens} or {@code max_tokens}, or null
 * @param temperature 0 to 2 (default 1): 0 picks the likeliest token
 * @param topP 0 to 1 (default 1)
 * @param seed for reproducible sampling, or null
 * @param stream true to answer server-sent events
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage counts
 */
public record ChatRequest(
    String model,
    List<ChatMessage> messages,
    Integer maxTokens,
    double temperature,
    double topP,
    Long seed,
    boolean stream,
    boolean includeUsage) {
  private static final Set<String> ROLES =
      Set.of("system", "developer", "user", "assistant", "tool");

  /** Checks {@code body}; throws {@link OpenAiError} (400, naming the field) on the first fault. */
  public static ChatRequest parse(JsonNode body) {
    if (body == null || !body.isObject()) {
      throw OpenAiError.invalid(null, "the request body must be a JSON object");
    }
    String model = model(body);
    JsonNode list = body.get("messages");
    if (list == null || list.isNull()) {
      throw OpenAiError.invalid("messages", "missing required parameter: 'messages'");
    }
    if (!list.isArray() || list.isEmpty()) {
      throw OpenAiError.invalid("messages", "'messages' must be a non-empty array");
    }
    List<ChatMessage> messages = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      messages.add(message(list.get(i), "messages[" + i + "]"));
    }
    JsonNode n = body.get("n");
    if (n != null && !n.isNull() && !(n.isIntegralNumber() && n.asLong() == 1)) {
      throw OpenAiError.invalid("n", "only n=1 is supported");
    }
    Integer maxTokens = positiveInt(body, "max_completion_tokens");
    if (maxTokens == null) {
      maxTokens = positiveInt(body, "max_tokens");
    }
    JsonNode seed = body.get("seed");
    boolean seedOk =
        seed == null || seed.isNull() || seed.isIntegralNumber() && seed.canConvertToLong();
    if (!seedOk) {
      throw OpenAiError.invalid("seed", "'seed' must be an integer");
    }
    boolean stream = bool(body, "stream");
    boolean includeUsage = false;
    JsonNode options = body.get("stream_options");
    if (options != null && !options.isNull()) {
      if (!options.isObject()) {
        throw OpenAiError.invalid("stream_options", "'stream_options' must be an object");
      }
      includeUsage = bool(options, "include_usage");
    }
    return new ChatRequest(
        model,
        List.copyOf(messages),
        maxTokens,
        number(body, "temperature", 2, 1),
        number(body, "top_p", 1, 1),
        seed == null || seed.isNull() ? null : seed.asLong(),
        stream,
        includeUsage);
  }

  /** The required string {@code model} of an OpenAI request body. */
  static String model(JsonNode body) {
    JsonNode model = body.get("model");
    if (model == null || model.isNull()) {
      throw OpenAiError.invalid("model", "missing required parameter: 'model'");
    }
    if (!model.isTextual()) {
      throw OpenAiError.invalid("model", "'model' must be a string");
    }
    return model.asText();
  }

  private static ChatMessage message(JsonNode node, String where) {
    if (!node.isObject()) {
      throw OpenAiError.invalid(where, "'" + where + "' must be an object");
    }
    JsonNode role = node.get("role");
    if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
      throw OpenAiError.invalid(where + ".role", "'" + where + ".role' must be one of " + ROLES);
    }
    JsonNode content = node.get("content");
    if (content == null || content.isNull()) {
      if (role.asText().equals("assistant")) {
        return new ChatMessage("assistant", "");
      }
      throw OpenAiError.invalid(where + ".content", "missing '" + where + ".content'");
    }
    if (content.isTextual()) {
      return new ChatMessage(role.asText(), content.asText());
    }
    if (!content.isArray()) {
      throw OpenAiError.invalid(
          where + ".content", "'" + where + ".content' must be a string or an array of parts");
    }
    StringBuilder text = new StringBuilder();
    for (JsonNode part : content) {
      JsonNode partText = part.get("text");
      if (!part.path("type").asText().equals("text") || partText == null || !partText.isTextual()) {
        throw OpenAiError.invalid(
            where + ".content",
            "only text parts ({\"type\": \"text\", \"text\": ...}) are supported");
      }
      text.append(partText.asText());
    }
    return new ChatMessage(role.asText(), text.toString());
  }

  private static Integer positiveInt(JsonNode body, String name) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      return null;
    }
    if (!value.isIntegralNumber() || value.asLong() < 1 || value.asLong() > Integer.MAX_VALUE) {
      throw OpenAiError.invalid(name, "'" + name + "' must be a positive integer");
    }
    return value.asInt();
  }

  private static double number(JsonNode body, String name, double max, double otherwise) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      return otherwise;
    }
    if (!value.isNumber() || value.asDouble() < 0 || value.asDouble() > max) {
      throw OpenAiError.invalid(name, "'" + name + "' must be a number from 0 to " + (int) max);
    }
    return value.asDouble();
  }

  static boolean bool(JsonNode body, String name) {
    JsonNode value = body.get(name);
    if (value == null || value.isNull()) {
      return false;
    }
    if (!value.isBoolean()) {
      throw OpenAiError.invalid(name, "'" + name + "' must be a boolean");
    }
    return value.asBoolean();
  }
}
