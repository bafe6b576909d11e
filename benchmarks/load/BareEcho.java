import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.undertow.Undertow;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;

/**
 * The ceiling for the load test: the echo API in one process, Undertow + Jackson, no worker
 * hop, no metrics. Run with {@code java -cp 'runtime/target/lib/*' benchmarks/load/BareEcho.java
 * PORT}.
 */
public final class BareEcho {
  public static void main(String[] args) {
    ObjectMapper mapper = new ObjectMapper();
    int port = Integer.parseInt(args[0]);
    Undertow.builder()
        .addHttpListener(port, "127.0.0.1")
        .setHandler(
            exchange ->
                exchange
                    .getRequestReceiver()
                    .receiveFullBytes(
                        (ex, body) -> {
                          try {
                            JsonNode request = mapper.readTree(body);
                            ObjectNode response = mapper.createObjectNode();
                            response.set("output", request.get("input"));
                            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                            ex.getResponseSender()
                                .send(ByteBuffer.wrap(mapper.writeValueAsBytes(response)));
                          } catch (Exception e) {
                            ex.setStatusCode(400);
                            ex.endExchange();
                          }
                        }))
        .build()
        .start();
  }
}
