package io.forkserve.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The built-in API served when {@code --api} is not given: {@code {"input": X}} answers {@code
 * {"output": X}}.
 */
public final class EchoApi extends ServingApi<JsonNode, JsonNode> {
  @Override
  public JsonNode decodeRequest(JsonNode request) {
    JsonNode input = request.get("input");
    if (input == null) {
      throw new HttpError(400, "request must be a JSON object with an \"input\" field");
    }
    return input;
  }

  @Override
  public JsonNode predict(JsonNode input) {
    return input;
  }

  @Override
  public Object encodeResponse(JsonNode output) {
    ObjectNode response = JsonNodeFactory.instance.objectNode();
    response.set("output", output);
    return response;
  }
}
