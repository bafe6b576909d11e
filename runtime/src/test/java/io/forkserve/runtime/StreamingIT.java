package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.ExpositionText;
import io.forkserve.testsupport.Progress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A streaming API: each chunk reaches the client as soon as the worker emits it, as NDJSON or
 * server-sent events; a client that does not read holds back the worker (bounded buffering), and
 * one that leaves stops the generation.
 */
class StreamingIT {
  static ServerProcess server;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start("--api", StreamingApi.class.getName(), "--workers", "2").awaitHealthy();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  void chunksArriveInOrderAsNdjson() throws Exception {
    HttpResponse<String> response = server.post("/predict", "{\"chunks\": 5}");
    assertEquals(200, response.statusCode());
    assertEquals("application/x-ndjson", response.headers().firstValue("Content-Type").get());
    assertEquals(
        "{\"chunk\":0}\n{\"chunk\":1}\n{\"chunk\":2}\n{\"chunk\":3}\n{\"chunk\":4}\n",
        response.body());
  }

  @Test
  void anAcceptHeaderAsksForServerSentEvents() throws Exception {
    HttpResponse<String> response =
        server.post("/predict", "{\"chunks\": 3}", "Accept", "text/event-stream");
    assertEquals(200, response.statusCode());
    assertEquals("text/event-stream", response.headers().firstValue("Content-Type").get());
    assertEquals(
        "data: {\"chunk\":0}\n\ndata: {\"chunk\":1}\n\ndata: {\"chunk\":2}\n\n",
        response.body());
  }

  @Test
  void anApiThatChoosesSseStillAnswersNdjsonToAClientAskingForIt() throws Exception {
    try (ServerProcess sse =
        ServerProcess.start(
            Map.of("STREAMING_API_SSE", "1"), "--api", StreamingApi.class.getName())) {
      sse.awaitHealthy();
      HttpResponse<String> byDefault = sse.post("/predict", "{\"chunks\": 2}");
      assertEquals("text/event-stream", byDefault.headers().firstValue("Content-Type").get());
      assertEquals("data: {\"chunk\":0}\n\ndata: {\"chunk\":1}\n\n", byDefault.body());
      HttpResponse<String> asked =
          sse.post("/predict", "{\"chunks\": 2}", "Accept", "application/x-ndjson");
      assertEquals("application/x-ndjson", asked.headers().firstValue("Content-Type").get());
      assertEquals("{\"chunk\":0}\n{\"chunk\":1}\n", asked.body());
    }
  }

  /**
   * Issue 14 finding 8: a client that never reads a 5-million-chunk stream. The worker must stall
   * after about one window (not generate everything into the front's heap), the front's memory
   * must stay bounded, and when the client goes the generation stops, is counted, and the worker
   * serves the next request.
   */
  @Test
  void aClientThatDoesNotReadStallsItsWorkerAndOneThatLeavesStopsIt() throws Exception {
    try (ServerProcess one =
        ServerProcess.start("--api", StreamingApi.class.getName(), "--workers", "1")) {
      one.awaitHealthy();
      long rssBefore = rssBytes(one.process.pid());
      LongSupplier emitted = () -> (long) metric(one, "test_stream_chunks_total");
      long total = 5_000_000;
      try (Socket client = new Socket()) {
        client.setReceiveBufferSize(4096);
        client.connect(new InetSocketAddress("127.0.0.1", one.port()), 5000);
        String body = "{\"chunks\": " + total + "}";
        String request =
            "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                + "Content-Length: "
                + body.length()
                + "\r\n\r\n"
                + body;
        client.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
        client.getOutputStream().flush();
        AssertionError stalled =
            assertThrows(
                AssertionError.class,
                () ->
                    Progress.awaitCount(
                        emitted, total, Duration.ofSeconds(5), () -> false, "chunks emitted"));
        long atStall = emitted.getAsLong();
        assertTrue(atStall > 0, "the stream started: " + stalled.getMessage());
        assertTrue(
            atStall < total / 4,
            "the worker stalled after " + atStall + " of " + total + " chunks");
        long grown = rssBytes(one.process.pid()) - rssBefore;
        // unbounded buffering would not let the worker stall (checked above); this bounds what
        // the front holds, with room for a loaded JVM's heap and code cache growth
        assertTrue(grown < 160L << 20, "the front grew by " + (grown >> 20) + " MB");
        InputStream in = client.getInputStream();
        byte[] head = new byte[64];
        assertTrue(in.read(head) > 0, "the client could read the start of the stream");
      }
      one.awaitWhileAlive(
          () -> metric(one, "test_streams_stopped_total") == 1.0,
          Progress.stretched(Duration.ofSeconds(30)),
          "the worker to stop the stream");
      assertEquals(1.0, metric(one, "forkserve_streams_cancelled_total"));
      long stoppedAt = emitted.getAsLong();
      HttpResponse<String> next = one.post("/predict", "{\"chunks\": 2}");
      assertEquals(200, next.statusCode());
      assertEquals("{\"chunk\":0}\n{\"chunk\":1}\n", next.body());
      assertEquals(stoppedAt + 2, emitted.getAsLong(), "no chunk of the cancelled stream after");
    }
  }

  private static double metric(ServerProcess server, String name) {
    try {
      String text = server.get("/metrics").body();
      return ExpositionText.has(text, name) ? ExpositionText.value(text, name) : 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static long rssBytes(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for " + pid);
  }

  /**
   * No timing: the worker produces chunk 1 only once the gate file exists, and the test creates it
   * only after reading chunk 0. Were chunk 0 held back until more output came, the read would
   * block and the test's timeout would fail it.
   */
  @Test
  void eachChunkIsFlushedBeforeTheNextIsProduced() throws Exception {
    Path dir = Files.createTempDirectory("streaming-gate");
    Path gate = dir.resolve("gate");
    String body = "{\"chunks\": 3, \"gate\": \"" + gate + "\"}";
    HttpRequest request =
        HttpRequest.newBuilder(server.uri("/predict"))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<InputStream> response =
        server.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertEquals(200, response.statusCode());
    try (BufferedReader lines =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      assertEquals("{\"chunk\":0}", lines.readLine());
      assertTrue(!Files.exists(gate), "the gate is still closed when chunk 0 arrives");
      Files.createFile(gate);
      assertEquals("{\"chunk\":1}", lines.readLine());
      assertEquals("{\"chunk\":2}", lines.readLine());
      assertEquals(null, lines.readLine());
    } finally {
      Files.deleteIfExists(gate);
      Files.deleteIfExists(dir);
    }
  }
}
