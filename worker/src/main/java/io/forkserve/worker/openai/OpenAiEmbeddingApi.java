package io.forkserve.worker.openai;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.forkserve.worker.Request;
import io.forkserve.worker.ServingApi;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * An embedding model served at {@code POST /v1/embeddings} in OpenAI's format: implement {@link
 * #embed}; this class answers the {@code list} of {@code embedding} objects (as floats or, for
 * {@code encoding_format: "base64"}, as base64 of little-endian 32-bit floats) with the usage.
 * The front routes a request here when its {@code model} is this API's name.
 */
public abstract class OpenAiEmbeddingApi extends ServingApi<EmbeddingRequest, Object> {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  /** The embedding vector of {@code text}. */
  public abstract float[] embed(String text) throws Exception;

  /** Tokens in {@code text}, for the usage counts; the default counts characters (code points). */
  public int countTokens(String text) {
    return text.codePointCount(0, text.length());
  }

  @Override
  public final EmbeddingRequest decodeRequest(Request request) {
    return EmbeddingRequest.parse(request.json());
  }

  @Override
  public final Object predict(EmbeddingRequest request) throws Exception {
    ObjectNode list = JSON.objectNode().put("object", "list");
    ArrayNode data = list.putArray("data");
    int tokens = 0;
    for (int i = 0; i < request.inputs().size(); i++) {
      String text = request.inputs().get(i);
      tokens += countTokens(text);
      float[] vector = embed(text);
      ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
      if (request.base64()) {
        item.put("embedding", base64(vector));
      } else {
        ArrayNode values = item.putArray("embedding");
        for (float v : vector) {
          values.add(v);
        }
      }
    }
    list.put("model", request.model());
    list.putObject("usage").put("prompt_tokens", tokens).put("total_tokens", tokens);
    return list;
  }

  @Override
  public final Object encodeResponse(Object output) {
    return output;
  }

  /** {@code vector} as base64 of little-endian 32-bit floats, as OpenAI's base64 format is. */
  static String base64(float[] vector) {
    ByteBuffer bytes = ByteBuffer.allocate(vector.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bytes.asFloatBuffer().put(vector);
    return Base64.getEncoder().encodeToString(bytes.array());
  }
}
