package io.forkserve.runtime.front;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.Counter;
import io.forkserve.metrics.MetricsRegistry;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class MetricsHandlerTest {
  private static final HttpClient CLIENT =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

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
    DirectoryScraper scraper = new DirectoryScraper(dir.resolve("metrics"));
    MetricsHandler handler = new MetricsHandler(scraper, failFirst);
    Undertow server =
        Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(handler).build();
    server.start();
    try {
      HttpRequest get = metricsRequest(server);

      HttpResponse<String> first = CLIENT.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(500, first.statusCode());
      assertTrue(first.body().contains("an Error thrown inside the merge"), first.body());

      HttpResponse<String> second = CLIENT.send(get, HttpResponse.BodyHandlers.ofString());
      assertEquals(200, second.statusCode(), second.body());
      assertEquals(2, calls.get());
    } finally {
      server.stop();
      scraper.close();
    }
  }

  @Test
  void aScrapeArrivingAfterAMergeBeganGetsTheNextMergeWithWhatWasWrittenBeforeIt()
      throws Exception {
    Path metrics = Files.createDirectories(dir.resolve("metrics"));
    CountDownLatch firstMergeBegun = new CountDownLatch(1);
    CountDownLatch releaseFirstMerge = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    Runnable holdFirst =
        () -> {
          if (calls.getAndIncrement() == 0) {
            firstMergeBegun.countDown();
            await(releaseFirstMerge);
          }
        };
    DirectoryScraper scraper = new DirectoryScraper(metrics);
    MetricsHandler handler = new MetricsHandler(scraper, holdFirst);
    Undertow server =
        Undertow.builder().addHttpListener(0, "127.0.0.1").setHandler(handler).build();
    server.start();
    try (MetricsRegistry registry = MetricsRegistry.open(metrics)) {
      HttpRequest get = metricsRequest(server);
      CompletableFuture<HttpResponse<String>> first =
          CLIENT.sendAsync(get, HttpResponse.BodyHandlers.ofString());
      assertTrue(firstMergeBegun.await(30, TimeUnit.SECONDS), "the first merge began");

      Counter.builder("written_before_second_scrape_total").help("h").register(registry).inc();
      CompletableFuture<HttpResponse<String>> second =
          CLIENT.sendAsync(get, HttpResponse.BodyHandlers.ofString());
      // the second request is in the handler (waiting) before the first merge may go on
      awaitCondition(() -> handler.waitingScrapes() == 2);
      releaseFirstMerge.countDown();

      assertEquals(200, first.get(30, TimeUnit.SECONDS).statusCode());
      HttpResponse<String> answer = second.get(30, TimeUnit.SECONDS);
      assertEquals(200, answer.statusCode());
      assertTrue(answer.body().contains("written_before_second_scrape_total 1.0"), answer.body());
      assertEquals(2, calls.get(), "the second scrape did not share the merge begun before it");
    } finally {
      releaseFirstMerge.countDown();
      server.stop();
      scraper.close();
    }
  }

  private static HttpRequest metricsRequest(Undertow server) {
    int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(30))
        .build();
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void awaitCondition(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out");
      Thread.sleep(5);
    }
  }
}
