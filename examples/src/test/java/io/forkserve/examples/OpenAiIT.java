package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.testsupport.Fixtures;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Progress;
import io.forkserve.testsupport.ServerProcess;
import io.forkserve.testsupport.Tools;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Serves {@code examples/openai.yaml} (the character-level chat model and the hashing embedder)
 * and calls its OpenAI-compatible endpoints with the official {@code openai} npm client
 * ({@code examples/openai-client}, installed by bin/test with npm ci), with {@code curl -N}, and
 * with the mistakes a careless or hostile client makes.
 */
class OpenAiIT {
  static final Path ROOT = Fixtures.projectRoot();
  static final Path CLIENT = ROOT.resolve("examples/openai-client");
  static final Duration LIMIT = Duration.ofMinutes(2);

  static ServerProcess server;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    server = serveConfig("examples/openai.yaml");
    port = server.awaitReady().port();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      ExamplesIT.stop(server);
    }
  }

  /** {@code bin/serve --config FILE --port 0} from the project root, as the docs run it. */
  static ServerProcess serveConfig(String config) throws IOException {
    return ExamplesIT.serveRuntime(ROOT, List.of("--config", config, "--port", "0"));
  }

  static String base() {
    return "http://127.0.0.1:" + port;
  }

  /** Runs {@code command} in {@code dir} with a time limit; returns its stdout, or fails. */
  static String run(Path dir, List<String> command) throws Exception {
    return Processes.run(LIMIT, dir, command);
  }

  @Test
  void officialClientChatsStreamsEmbedsAndListsModels() throws Exception {
    Path node = Tools.require("node");
    if (!Files.isDirectory(CLIENT.resolve("node_modules/openai"))) {
      Tools.unavailable(
          "the openai npm package is missing (bin/test installs it: npm ci --prefix "
              + "examples/openai-client)");
    }
    String out = run(CLIENT, List.of(node.toString(), "client.mjs", base() + "/v1"));
    JsonNode result = ExamplesIT.JSON.readTree(out);

    assertEquals("[\"charlm\",\"hash-embed\"]", result.get("models").toString());

    JsonNode whole = result.get("whole");
    assertEquals("chat.completion", whole.get("object").asText());
    assertEquals("length", whole.get("finish_reason").asText());
    String content = whole.get("content").asText();
    assertEquals(40, content.codePointCount(0, content.length()));
    assertInCorpus(content);
    // "The lighthouse keeper" is 21 characters: one token each
    assertEquals("{\"prompt_tokens\":21,\"completion_tokens\":40,\"total_tokens\":61}",
        whole.get("usage").toString());

    JsonNode stream = result.get("stream");
    assertEquals(content, stream.get("content").asText(), "same seed, same text, streamed");
    assertEquals(40 + 3, stream.get("chunks").asInt(), "role, 40 tokens, finish, usage");
    assertEquals("length", stream.get("finish_reason").asText());
    assertEquals(whole.get("usage"), stream.get("usage"));

    JsonNode embeddings = result.get("embeddings");
    JsonNode vectors = embeddings.get("vectors");
    assertEquals(3, vectors.size());
    for (JsonNode v : vectors) {
      assertEquals(HashingEmbedderApi.DIMENSIONS, v.size());
      assertEquals(1.0, dot(v, v), 1e-5, "unit length");
    }
    assertTrue(
        dot(vectors.get(0), vectors.get(1)) > dot(vectors.get(0), vectors.get(2)) + 0.2,
        "two sentences about a cat are closer than one about physics: " + vectors);
    for (int i = 0; i < HashingEmbedderApi.DIMENSIONS; i++) {
      assertEquals(
          vectors.get(0).get(i).asDouble(), embeddings.get("float").get(i).asDouble(), 1e-7,
          "base64 (the client's default) and float give the same vector");
    }
    int characters = "the cat sat on the mat".length() + "a cat sat on a mat".length()
        + "quantum chromodynamics".length();
    assertEquals(characters, embeddings.at("/usage/prompt_tokens").asInt());

    JsonNode errors = result.get("errors");
    assertError(errors.get("noMessages"), 400, "messages", null);
    assertError(errors.get("unknownModel"), 404, "model", "model_not_found");
    assertError(errors.get("badEmbeddingInput"), 400, "input", null);
  }

  private static void assertError(JsonNode error, int status, String param, String code) {
    assertEquals(status, error.get("status").asInt(), error.toString());
    assertEquals("invalid_request_error", error.get("type").asText(), error.toString());
    assertEquals(param, error.path("param").isNull() ? null : error.path("param").asText());
    assertEquals(code, error.path("code").isNull() ? null : error.path("code").asText());
  }

  private static void assertInCorpus(String text) throws IOException {
    String corpus = CharLmApi.corpus();
    for (char c : text.toCharArray()) {
      assertTrue(corpus.indexOf(c) >= 0, "character " + c + " not in the training text");
    }
  }

  private static double dot(JsonNode a, JsonNode b) {
    double sum = 0;
    for (int i = 0; i < a.size(); i++) {
      sum += a.get(i).asDouble() * b.get(i).asDouble();
    }
    return sum;
  }

  @Test
  void curlStreamsServerSentEventsEndingInDone() throws Exception {
    Path curl = Tools.require("curl");
    String out =
        run(
            ROOT,
            List.of(
                curl.toString(), "-sfN", "-D", "-", base() + "/v1/chat/completions",
                "-H", "Content-Type: application/json",
                "-d", "{\"model\": \"charlm\", \"stream\": true, \"max_tokens\": 5,"
                    + " \"messages\": [{\"role\": \"user\", \"content\": \"The town\"}]}"));
    String[] headBody = out.split("\r\n\r\n", 2);
    assertTrue(headBody[0].toLowerCase().contains("content-type: text/event-stream"), headBody[0]);
    List<String> events = List.of(headBody[1].split("\n\n"));
    assertEquals("data: [DONE]", events.get(events.size() - 1), out);
    assertEquals(1 + 5 + 1 + 1, events.size(), "role, 5 tokens, finish, [DONE]: " + out);
    StringBuilder text = new StringBuilder();
    for (String event : events.subList(0, events.size() - 1)) {
      assertTrue(event.startsWith("data: {"), event);
      JsonNode chunk = ExamplesIT.JSON.readTree(event.substring("data: ".length()));
      assertEquals("chat.completion.chunk", chunk.get("object").asText());
      text.append(chunk.at("/choices/0/delta/content").asText(""));
    }
    assertEquals(5, text.length());
  }

  @Test
  void badRequestsGetOpenAiShapedErrorsAndTheWorkersGoOn() throws Exception {
    String chat = "/v1/chat/completions";
    String ok = "\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]";
    assertRefused(post(chat, "{\"model\": \"charlm\"}"), 400, "messages", null);
    assertRefused(post(chat, "{\"model\": \"charlm\", \"messages\": \"hi\"}"), 400, "messages",
        null);
    assertRefused(post(chat, "{\"model\": \"charlm\", \"messages\": [{\"role\": \"user\"}]}"),
        400, "messages[0].content", null);
    assertRefused(post(chat, "{\"model\": \"charlm\", " + ok + ", \"max_tokens\": \"9\"}"), 400,
        "max_tokens", null);
    assertRefused(post(chat, "{\"model\": \"charlm\", " + ok + ", \"stream\": 1}"), 400,
        "stream", null);
    assertRefused(post(chat, "{\"model\": 7, " + ok + "}"), 400, "model", null);
    assertRefused(post(chat, "{\"model\": \"gpt-4o\", " + ok + "}"), 404, "model",
        "model_not_found");
    assertRefused(post(chat, "{\"model\": \"hash-embed\", " + ok + "}"), 404, "model",
        "model_not_found");
    assertRefused(post(chat, "{\"model\": \"charlm\", " + ok), 400, null, "invalid_json");
    assertRefused(post(chat, "[]"), 400, null, null);
    assertRefused(
        send(request(chat).header("Content-Type", "text/plain")
            .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"charlm\", " + ok + "}"))),
        415, null, "unsupported_media_type");
    byte[] big = new byte[10_000_001]; // the default --max-payload is 10MB
    assertRefused(
        send(request(chat).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(big))),
        413, null, "request_too_large");
    assertRefused(send(request(chat).GET()), 405, null, null);
    assertRefused(send(request("/v1/nothing").GET()), 404, null, "not_found");
    assertRefused(post("/v1/embeddings", "{\"model\": \"hash-embed\", \"input\": [[1]]}"), 400,
        "input", null);
    assertRefused(post("/v1/embeddings", "{\"model\": \"hash-embed\"}"), 400, "input", null);

    HttpResponse<String> fine =
        post(chat, "{\"model\": \"charlm\", \"max_tokens\": 3, " + ok + "}");
    assertEquals(200, fine.statusCode(), fine.body());
    assertEquals(3, ExamplesIT.JSON.readTree(fine.body()).at("/usage/completion_tokens").asInt());
    HttpResponse<String> embedded =
        post("/v1/embeddings", "{\"model\": \"hash-embed\", \"input\": \"x\"}");
    assertEquals(200, embedded.statusCode(), embedded.body());
  }

  private static void assertRefused(
      HttpResponse<String> response, int status, String param, String code) throws IOException {
    assertEquals(status, response.statusCode(), response.body());
    assertTrue(
        response.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
    JsonNode error = ExamplesIT.JSON.readTree(response.body()).get("error");
    assertTrue(error != null && error.isObject(), response.body());
    assertEquals(
        Set.of("message", "type", "param", "code"),
        Set.copyOf(iterable(error.fieldNames())), response.body());
    assertFalse(error.get("message").asText().isEmpty());
    assertEquals(
        status >= 500 ? "server_error" : "invalid_request_error", error.get("type").asText());
    assertEquals(param, error.get("param").isNull() ? null : error.get("param").asText());
    assertEquals(code, error.get("code").isNull() ? null : error.get("code").asText());
  }

  private static List<String> iterable(java.util.Iterator<String> names) {
    List<String> list = new ArrayList<>();
    names.forEachRemaining(list::add);
    return list;
  }

  static HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base() + path))
        .timeout(Progress.stretched(Duration.ofSeconds(60)));
  }

  static HttpResponse<String> post(String path, String json) throws Exception {
    return send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return ExamplesIT.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The value of the sample {@code name} (no labels) on /metrics, 0 when absent. */
  static double metric(String name) throws Exception {
    HttpResponse<String> page = send(request("/metrics").GET());
    assertEquals(200, page.statusCode());
    for (String line : page.body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Double.parseDouble(line.substring(name.length() + 1).trim());
      }
    }
    return 0;
  }

  @Test
  void clientVanishingMidStreamStopsTheGeneration() throws Exception {
    double cancelledBefore = metric("forkserve_streams_cancelled_total");
    int asked = 100_000;
    String body =
        "{\"model\": \"charlm\", \"stream\": true, \"max_tokens\": " + asked
            + ", \"messages\": [{\"role\": \"user\", \"content\": \"The sea\"}]}";
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout((int) Progress.stretched(Duration.ofSeconds(60)).toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(
          ("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                  + "\r\n\r\n" + body)
              .getBytes(StandardCharsets.UTF_8));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      int tokens = 0;
      for (String line = in.readLine(); tokens < 3; line = in.readLine()) {
        assertTrue(line != null, "the stream ended early");
        if (line.contains("\"content\":\"") && !line.contains("\"role\"")) {
          tokens++;
        }
      }
    } // the client vanishes after 3 tokens, with the stream going on
    Progress.await(
        () -> {
          try {
            return metric("forkserve_streams_cancelled_total") >= cancelledBefore + 1;
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        },
        server.process::isAlive,
        Progress.stretched(Duration.ofSeconds(60)),
        "the cancelled stream to be counted");
    // the one worker serves the next requests (one serving thread: only once the cancelled
    // generation has returned), and the cancelled one stopped far short of what it asked for
    String next =
        "{\"model\": \"charlm\", \"max_tokens\": 4, \"messages\": [{\"role\": \"user\","
            + " \"content\": \"The town\"}]}";
    HttpResponse<String> first = post("/v1/chat/completions", next);
    assertEquals(200, first.statusCode(), first.body());
    double generated = metric("charlm_generated_tokens_total");
    assertTrue(generated - 4 < asked, "the generator went on to " + generated + " tokens");
    HttpResponse<String> second = post("/v1/chat/completions", next);
    assertEquals(200, second.statusCode(), second.body());
    assertEquals(generated + 4, metric("charlm_generated_tokens_total"), "nothing else generates");
  }
}
