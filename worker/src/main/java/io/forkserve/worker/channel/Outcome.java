package io.forkserve.worker.channel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/** JSON error bodies, built the same way in the worker and the front. */
public final class Outcome {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Outcome() {}

  /** {@code {"error": message, "status": status}} as UTF-8 bytes. */
  public static byte[] errorBody(int status, String message) {
    ObjectNode body = MAPPER.createObjectNode();
    body.put("error", message == null ? "" : message);
    body.put("status", status);
    return body.toString().getBytes(StandardCharsets.UTF_8);
  }
}
