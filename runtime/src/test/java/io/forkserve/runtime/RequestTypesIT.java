package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.Progress;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests and responses beyond JSON, through real worker processes: binary bodies, multipart
 * uploads parsed in the front, bytes responses with a chosen type, status and headers; what a
 * careless client sends (wrong type, truncated upload, a file over its limit) gets a clear status
 * and JSON error, and the worker serves the next request.
 */
class RequestTypesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String BOUNDARY = "----forkserve-test-boundary";
  static ServerProcess bytes;
  static ServerProcess json;

  @BeforeAll
  static void start() throws Exception {
    bytes =
        ServerProcess.start(
            "--api", BytesApi.class.getName(), "--workers", "1", "--max-file-size", "64KB");
    json = ServerProcess.start("--workers", "1");
    bytes.awaitHealthy();
    json.awaitHealthy();
  }

  @AfterAll
  static void stop() {
    if (bytes != null) {
      bytes.close();
    }
    if (json != null) {
      json.close();
    }
  }

  @Test
  void aMultipartUploadTrickledPastTheTimeoutHasItsConnectionClosed() throws Exception {
    Duration timeout = Duration.ofSeconds(2);
    try (ServerProcess slow =
        ServerProcess.start(
                "--api", BytesApi.class.getName(),
                "--workers", "1",
                "--timeout", timeout.toMillis() + "ms")
            .awaitHealthy()) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress("127.0.0.1", slow.port()), 5000);
        socket
            .getOutputStream()
            .write(
                HostileConnectionsIT.ascii(
                    "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                        + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\n\r\n"
                        + "--" + BOUNDARY + "\r\nContent-Disposition: form-data; name=\"f\";"
                        + " filename=\"f.bin\"\r\n\r\nabc"));
        // a byte every 200 ms: the idle timeout never fires, only the request's deadline can
        String reply =
            HostileConnectionsIT.assertClosed(
                socket,
                true,
                Progress.stretched(timeout.plusSeconds(20)),
                "a multipart body trickled past --timeout");
        assertTrue(reply.isEmpty() || reply.startsWith("HTTP/1.1 408"), reply);
      }
      HttpResponse<String> next = slow.post("/predict", "{\"a\": 1}");
      assertEquals(200, next.statusCode(), next.body());
    }
  }

  @Test
  void anOctetStreamBodyComesBackAsBytesWithItsTypeStatusAndHeaders() throws Exception {
    byte[] body = new byte[100 * 1024];
    new Random(7).nextBytes(body);
    HttpResponse<byte[]> response =
        send(
            bytes,
            "/predict?status=201&x=1",
            body,
            "Content-Type",
            "application/octet-stream",
            "User-Agent",
            "types-test");
    assertEquals(201, response.statusCode());
    assertEquals("application/octet-stream", response.headers().firstValue("Content-Type").get());
    assertEquals("102400", response.headers().firstValue("X-Echo-Bytes").get());
    assertEquals("types-test", response.headers().firstValue("X-Echo-Agent").get());
    assertArrayEquals(body, response.body());
  }

  @Test
  void aMultipartUploadReachesTheApiAsFilesAndFields() throws Exception {
    byte[] image = new byte[256];
    for (int i = 0; i < image.length; i++) {
      image[i] = (byte) i;
    }
    byte[] body =
        multipart(
            file("image", "all-bytes.bin", "application/octet-stream", image),
            file("doc", "notes.txt", "text/plain", "héllo".getBytes(StandardCharsets.UTF_8)),
            field("prompt", "a cat, \"quoted\""),
            field("n", "3"));
    HttpResponse<byte[]> response = send(bytes, "/predict", body, multipartType());
    assertEquals(200, response.statusCode(), text(response));
    JsonNode answer = JSON.readTree(response.body());
    JsonNode first = answer.get("files").get(0);
    assertEquals("image", first.get("name").asText());
    assertEquals("all-bytes.bin", first.get("file_name").asText());
    assertEquals("application/octet-stream", first.get("content_type").asText());
    assertEquals(256, first.get("size").asInt());
    assertEquals(BytesApi.sum(image), first.get("sum").asLong());
    JsonNode second = answer.get("files").get(1);
    assertEquals("notes.txt", second.get("file_name").asText());
    assertEquals("text/plain", second.get("content_type").asText());
    assertEquals(6, second.get("size").asInt());
    assertEquals("a cat, \"quoted\"", answer.get("fields").get("prompt").asText());
    assertEquals("3", answer.get("fields").get("n").asText());
  }

  @Test
  void aTruncatedUploadIs400AndTheWorkerServesTheNextRequest() throws Exception {
    byte[] whole = multipart(file("image", "x.bin", "application/octet-stream", new byte[4096]));
    byte[] truncated = java.util.Arrays.copyOf(whole, whole.length - 200);
    HttpResponse<byte[]> response = send(bytes, "/predict", truncated, multipartType());
    assertError(response, 400, "malformed multipart body");
    assertServesNext(bytes);
  }

  @Test
  void aFileOverItsLimitIs413AndTheWorkerServesTheNextRequest() throws Exception {
    byte[] big = new byte[65 * 1024];
    byte[] body = multipart(file("big", "big.bin", "application/octet-stream", big));
    HttpResponse<byte[]> response = send(bytes, "/predict", body, multipartType());
    assertError(response, 413, "a file is over the limit of 64000 bytes");
    assertServesNext(bytes);
  }

  @Test
  void multipartWithoutABoundaryIs400() throws Exception {
    HttpResponse<byte[]> response =
        send(bytes, "/predict", new byte[10], "Content-Type", "multipart/form-data");
    assertError(response, 400, "no boundary");
    assertServesNext(bytes);
  }

  @Test
  void anHttpErrorFromDecodeRequestKeepsItsStatus() throws Exception {
    HttpResponse<byte[]> response =
        send(bytes, "/predict?fail=1", new byte[1], "Content-Type", "application/octet-stream");
    assertError(response, 422, "asked to fail");
  }

  @Test
  void aJsonApiRefusesBinaryAndMultipartWith415BeforeAnyWorker() throws Exception {
    HttpResponse<byte[]> binary =
        send(json, "/predict", new byte[] {1, 2}, "Content-Type", "application/octet-stream");
    assertError(binary, 415, "unsupported content type application/octet-stream");
    HttpResponse<byte[]> upload =
        send(json, "/predict", multipart(field("a", "b")), multipartType());
    assertError(upload, 415, "unsupported content type multipart/form-data");
    HttpResponse<String> ok = json.post("/predict", "{\"input\": 1}");
    assertEquals(200, ok.statusCode());
    HttpResponse<String> noType =
        json.post(
            "/predict", "{\"input\": 2}", "Content-Type", "application/x-www-form-urlencoded");
    assertEquals(200, noType.statusCode(), noType.body());
  }

  @Test
  void aConcurrentApiServesSeveralRequestsAtOnceInOneWorker() throws Exception {
    try (ServerProcess server =
        ServerProcess.start("--api", ConcurrentApi.class.getName(), "--workers", "1")) {
      server.awaitHealthy();
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        HttpRequest request =
            HttpRequest.newBuilder(server.uri("/predict"))
                .timeout(Duration.ofMinutes(2))
                .POST(HttpRequest.BodyPublishers.ofString("{\"meet\": 4}"))
                .build();
        answers.add(server.http.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
      }
      long pid = -1;
      for (CompletableFuture<HttpResponse<String>> answer : answers) {
        HttpResponse<String> response = answer.get();
        assertEquals(200, response.statusCode(), response.body());
        JsonNode body = JSON.readTree(response.body());
        assertEquals(4, body.get("met").asInt());
        assertTrue(pid == -1 || pid == body.get("pid").asLong(), "one worker served them all");
        pid = body.get("pid").asLong();
      }
    }
  }

  private static void assertServesNext(ServerProcess server) throws Exception {
    HttpResponse<byte[]> next =
        send(server, "/predict", new byte[] {9}, "Content-Type", "application/octet-stream");
    assertEquals(200, next.statusCode(), text(next));
    assertArrayEquals(new byte[] {9}, next.body());
  }

  private static void assertError(HttpResponse<byte[]> response, int status, String part)
      throws Exception {
    assertEquals(status, response.statusCode(), text(response));
    assertEquals("application/json", response.headers().firstValue("Content-Type").get());
    String error = JSON.readTree(response.body()).get("error").asText();
    assertTrue(error.contains(part), error);
  }

  private static String text(HttpResponse<byte[]> response) {
    return new String(response.body(), StandardCharsets.UTF_8);
  }

  static HttpResponse<byte[]> send(
      ServerProcess server, String path, byte[] body, String... headers) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(server.uri(path))
            .timeout(Duration.ofSeconds(60))
            .headers(headers)
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
    return server.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }

  private static String[] multipartType() {
    return new String[] {"Content-Type", "multipart/form-data; boundary=" + BOUNDARY};
  }

  private static byte[] file(String name, String fileName, String type, byte[] data) {
    String head =
        "Content-Disposition: form-data; name=\""
            + name
            + "\"; filename=\""
            + fileName
            + "\"\r\nContent-Type: "
            + type
            + "\r\n\r\n";
    return join(head.getBytes(StandardCharsets.UTF_8), data);
  }

  private static byte[] field(String name, String value) {
    String head = "Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n";
    return join(head.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
  }

  /** A curl -F style body: each part after a boundary line, then the closing boundary. */
  private static byte[] multipart(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] part : parts) {
      out.writeBytes(("--" + BOUNDARY + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.writeBytes(part);
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static byte[] join(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
