package io.forkserve.worker.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forkserve.worker.Request;
import io.forkserve.worker.ServingApi;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;

/**
 * A chat model served at {@code POST /v1/chat/completions} in OpenAI's format: implement {@link
 * #generate}, which is given the conversation and sampling settings and emits tokens; this class
 * turns them into a {@code chat.completion} object or, for {@code "stream": true}, into {@code
 * chat.completion.chunk} events, and counts the usage. The front routes a request here when its
 * {@code model} is this API's name (see docs/openai.md).
 */
public abstract class OpenAiChatApi extends ServingApi<ChatRequest, Object> {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /**
   * Generates the answer to {@code request}: call {@code sink.emit(token)} for each token, and
   * stop when it returns false ({@code max_tokens} reached) or when the answer is complete.
   */
  public abstract void generate(ChatRequest request, TokenSink sink) throws Exception;

  /** Tokens in {@code text}, for the usage counts; the default counts characters (code points). */
  public int countTokens(String text) {
    return text.codePointCount(0, text.length());
  }

  /** The completion length when the request names none. */
  public int defaultMaxTokens() {
    return 256;
  }

  /** The longest completion a request may ask for (400 above it). */
  public int maxTokensLimit() {
    return 4096;
  }

  @Override
  public final ChatRequest decodeRequest(Request request) {
    return ChatRequest.parse(request.json());
  }

  @Override
  public final boolean isStreaming() {
    return true;
  }

  @Override
  public final StreamFormat streamFormat() {
    return StreamFormat.SSE;
  }

  /** A whole {@code chat.completion} (what a request without {@code stream} gets). */
  @Override
  public final Object predict(ChatRequest request) throws Exception {
    int limit = limit(request);
    StringBuilder text = new StringBuilder();
    int count = generateUpTo(request, limit, text::append);
    ObjectNode message = JSON.objectNode().put("role", "assistant").put("content", text.toString());
    ObjectNode choice = JSON.objectNode().put("index", 0);
    choice.set("message", message);
    choice.putNull("logprobs");
    choice.put("finish_reason", finishReason(count, limit));
    ObjectNode completion = header(newId(), request, "chat.completion");
    completion.putArray("choices").add(choice);
    completion.set("usage", usage(promptTokens(request), count));
    return completion;
  }

  /**
   * Answers {@code request}: one whole completion, or, when it streams, a chunk with the role, one
   * per token, one with the finish reason and (with {@code include_usage}) one with the usage.
   */
  @Override
  public final void predictStream(ChatRequest request, Consumer<Object> emit) throws Exception {
    if (!request.stream()) {
      emit.accept(predict(request));
      return;
    }
    int limit = limit(request);
    String id = newId();
    emit.accept(chunk(id, request, JSON.objectNode().put("role", "assistant").put("content", ""),
        null));
    int count =
        generateUpTo(
            request,
            limit,
            token -> {
              emit.accept(chunk(id, request, JSON.objectNode().put("content", token), null));
            });
    emit.accept(chunk(id, request, JSON.objectNode(), finishReason(count, limit)));
    if (request.includeUsage()) {
      ObjectNode last = header(id, request, "chat.completion.chunk");
      last.putArray("choices");
      last.set("usage", usage(promptTokens(request), count));
      emit.accept(last);
    }
  }

  /** Chunks and completions are JSON trees already. */
  @Override
  public final Object encodeResponse(Object output) {
    return output;
  }

  /**
   * Runs {@link #generate}, passing {@code onToken} at most {@code limit} tokens (the sink says
   * stop at the limit, and ignores a model that goes on); returns how many it passed.
   */
  private int generateUpTo(ChatRequest request, int limit, Consumer<String> onToken)
      throws Exception {
    int[] count = {0};
    generate(
        request,
        token -> {
          if (count[0] >= limit) {
            return false;
          }
          onToken.accept(token);
          return ++count[0] < limit;
        });
    return count[0];
  }

  /** OpenAI's {@code finish_reason}: {@code length} when the limit cut the answer. */
  private static String finishReason(int count, int limit) {
    return count >= limit ? "length" : "stop";
  }

  private int limit(ChatRequest request) {
    Integer asked = request.maxTokens();
    if (asked != null && asked > maxTokensLimit()) {
      throw OpenAiError.invalid(
          "max_tokens",
          "max_tokens is " + asked + ", over this model's limit of " + maxTokensLimit());
    }
    return asked == null ? defaultMaxTokens() : asked;
  }

  private int promptTokens(ChatRequest request) {
    int tokens = 0;
    for (ChatMessage m : request.messages()) {
      tokens += countTokens(m.content());
    }
    return tokens;
  }

  private static ObjectNode chunk(String id, ChatRequest request, ObjectNode delta, String finish) {
    ObjectNode choice = JSON.objectNode().put("index", 0);
    choice.set("delta", delta);
    choice.putNull("logprobs");
    choice.put("finish_reason", finish);
    ObjectNode chunk = header(id, request, "chat.completion.chunk");
    ArrayNode choices = chunk.putArray("choices");
    choices.add(choice);
    return chunk;
  }

  private static ObjectNode header(String id, ChatRequest request, String object) {
    return JSON.objectNode()
        .put("id", id)
        .put("object", object)
        .put("created", System.currentTimeMillis() / 1000)
        .put("model", request.model());
  }

  static ObjectNode usage(int prompt, int completion) {
    return JSON.objectNode()
        .put("prompt_tokens", prompt)
        .put("completion_tokens", completion)
        .put("total_tokens", prompt + completion);
  }

  private static String newId() {
    return "chatcmpl-" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
  }
}
