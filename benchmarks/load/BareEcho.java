import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;

/**
 * The ceiling for the load benchmarks: an echo in one process, Undertow alone, no worker hop, no
 * metrics. {@code json} (the default, run.sh): the echo API, {@code {"output": input}} with
 * Jackson. {@code bytes} (types.sh): the request body back with its content type and an {@code
 * X-Bytes} header. Run with {@code java -cp 'runtime/target/lib/*' benchmarks/load/BareEcho.java
 * PORT [json|bytes]}.
 */
public final class BareEcho {
  private static final HttpString X_BYTES = HttpString.tryFromString("X-Bytes");
  private static final ObjectMapper MAPPER = new ObjectMapper();

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    String mode = args.length > 1 ? args[1] : "json";
    if (!mode.equals("json") && !mode.equals("bytes")) {
      System.err.println("usage: BareEcho PORT [json|bytes]");
      System.exit(2);
    }
    boolean bytes = mode.equals("bytes");
    Undertow.builder()
        .addHttpListener(port, "127.0.0.1")
        .setHandler(
            exchange ->
                exchange
                    .getRequestReceiver()
                    .receiveFullBytes(
                        (ex, body) -> {
                          if (bytes) {
                            echoBytes(ex, body);
                          } else {
                            echoJson(ex, body);
                          }
                        }))
        .build()
        .start();
  }

  private static void echoJson(HttpServerExchange ex, byte[] body) {
    try {
      JsonNode request = MAPPER.readTree(body);
      ObjectNode response = MAPPER.createObjectNode();
      response.set("output", request.get("input"));
      ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
      ex.getResponseSender().send(ByteBuffer.wrap(MAPPER.writeValueAsBytes(response)));
    } catch (Exception e) {
      ex.setStatusCode(400);
      ex.endExchange();
    }
  }

  private static void echoBytes(HttpServerExchange ex, byte[] body) {
    String type = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
    ex.getResponseHeaders()
        .put(Headers.CONTENT_TYPE, type == null ? "application/octet-stream" : type);
    ex.getResponseHeaders().put(X_BYTES, Integer.toString(body.length));
    ex.getResponseSender().send(ByteBuffer.wrap(body));
  }
}
