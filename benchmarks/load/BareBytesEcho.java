import io.undertow.Undertow;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;

/**
 * The ceiling for the binary-upload benchmark: echo the request body with its content type in one
 * process, Undertow alone, no worker hop, no metrics. Run with {@code java -cp
 * 'runtime/target/lib/*' benchmarks/load/BareBytesEcho.java PORT}.
 */
public final class BareBytesEcho {
  private static final HttpString X_BYTES = HttpString.tryFromString("X-Bytes");

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Undertow.builder()
        .addHttpListener(port, "127.0.0.1")
        .setHandler(
            exchange ->
                exchange
                    .getRequestReceiver()
                    .receiveFullBytes(
                        (ex, body) -> {
                          String type = ex.getRequestHeaders().getFirst(Headers.CONTENT_TYPE);
                          ex.getResponseHeaders()
                              .put(
                                  Headers.CONTENT_TYPE,
                                  type == null ? "application/octet-stream" : type);
                          ex.getResponseHeaders()
                              .put(X_BYTES, Integer.toString(body.length));
                          ex.getResponseSender().send(ByteBuffer.wrap(body));
                        }))
        .build()
        .start();
  }
}
