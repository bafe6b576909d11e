package io.forkserve.runtime.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.merge.DirectoryScraper;
import io.undertow.Undertow;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class MetricsHandlerTest {
  @TempDir Path dir;

  @Test
  void anErrorInOneMergeIsA500AndTheNextScrapeStillAnswers() throws Exception {
    Files.createDirectories(dir.resolve("metrics"));
    AtomicInteger calls = new AtomicInteger();
    Runnable failFirst =
        () -> {
          if (calls.getAndIncrement() == 0) {
            throw new AssertionError("an Error thrown inside the merge");
          }
        };
    MetricsHandler handler =
        new MetricsHandler(new DirectoryScraper(dir.resolve("metrics")), failFirst);
    Undertow server =
        Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(handler).build();
    server.start();
    try {
      int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
      HttpRequest get =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
              .timeout(Duration.ofSeconds(30))
              .build();

      HttpResponse<String> first = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(500, first.statusCode());
      assertTrue(first.body().contains("an Error thrown inside the merge"), first.body());

      HttpResponse<String> second = client.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, second.statusCode(), second.body());
      assertEquals(2, calls.get());
    } finally {
      server.stop();
    }
  }
}
