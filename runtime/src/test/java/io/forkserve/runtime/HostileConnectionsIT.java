package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.Progress;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, findings 1, 3 and 7, against a real server with short limits set by flags: slow and
 * idle connections are closed, the connection cap holds the front's descriptors, scrapes that
 * never read stay within a thread and memory bound, and bodies over {@code --max-payload}, with a
 * length or chunked, get the JSON 413. After each, {@code /health} answers 200 within a bounded
 * time and the front's threads, descriptors and resident memory stay under the bounds below.
 */
class HostileConnectionsIT {
  static final ObjectMapper JSON = new ObjectMapper();

  static final Duration PARSE_TIMEOUT = Duration.ofSeconds(1);
  static final Duration NO_REQUEST_TIMEOUT = Duration.ofSeconds(2);
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(10);
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  static final int MAX_CONNECTIONS = 40;
  static final long MAX_PAYLOAD = 3_000_000;

  /** Threads the front may add over its quiet count while under any of these loads. */
  static final int THREAD_SLACK = 16;

  /** Descriptors the front may hold beyond the connection cap (workers, files, the listener). */
  static final int FD_SLACK = 24;

  /** Resident memory the front may add under any of these loads. */
  static final long RSS_SLACK_BYTES = 400L << 20;

  static ServerProcess server;
  static long pid;
  static int quietThreads;
  static int quietFds;
  static long quietRss;

  @BeforeAll
  static void start() throws Exception {
    server =
        ServerProcess.start(
                "--api", HostileLabelsApi.class.getName(),
                "--workers", "1",
                "--request-parse-timeout", millis(PARSE_TIMEOUT),
                "--no-request-timeout", millis(NO_REQUEST_TIMEOUT),
                "--idle-timeout", millis(IDLE_TIMEOUT),
                "--timeout", millis(REQUEST_TIMEOUT),
                "--max-connections", Integer.toString(MAX_CONNECTIONS),
                "--max-payload", Long.toString(MAX_PAYLOAD))
            .awaitHealthy();
    pid = server.process.pid();
    assertEquals(200, server.statusOf("/metrics"));
    quietThreads = threads();
    quietFds = fds();
    quietRss = rssBytes();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  // --- finding 1: slow and idle connections, the connection cap ---

  @Test
  void idleAndHalfSentConnectionsAreClosed() throws Exception {
    Duration limit = Progress.stretched(REQUEST_TIMEOUT.plusSeconds(20));
    try (Socket idle = connect();
        Socket keptAlive = connect();
        Socket slowHeaders = connect();
        Socket slowBody = connect()) {
      keptAlive.getOutputStream().write(ascii("GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
      assertTrue(readReply(keptAlive.getInputStream()).startsWith("HTTP/1.1 200"));
      slowHeaders.getOutputStream().write(ascii("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
      slowBody
          .getOutputStream()
          .write(ascii("POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"));

      assertClosed(idle, false, limit, "a connection that never sent a byte");
      assertClosed(keptAlive, false, limit, "a kept-alive connection left idle");
      assertClosed(slowHeaders, true, limit, "headers sent a byte at a time");
      String reply = assertClosed(slowBody, true, limit, "a body sent a byte at a time");
      assertTrue(reply.startsWith("HTTP/1.1 408"), reply);
      assertTrue(errorOf(reply).contains("--timeout"), reply);
    }
    assertHealthyAndBounded(0);
  }

  @Test
  void connectionsOverTheCapWaitAndDescriptorsStayBounded() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < MAX_CONNECTIONS * 4; i++) {
        held.add(connect());
      }
      // /health waits behind the held connections until the no-request timeout frees the cap;
      // meanwhile the front's descriptors and threads are sampled.
      CompletableFuture<Integer> health =
          CompletableFuture.supplyAsync(() -> rawHealth(Duration.ofSeconds(60)));
      int maxFds = 0;
      int maxThreads = 0;
      while (!health.isDone()) {
        maxFds = Math.max(maxFds, fds());
        maxThreads = Math.max(maxThreads, threads());
        Thread.sleep(20); // sampling interval, not a wait for a condition
      }
      assertEquals(200, health.get());
      assertTrue(
          maxFds <= quietFds + MAX_CONNECTIONS + FD_SLACK,
          "front held " + maxFds + " descriptors; quiet " + quietFds + ", cap " + MAX_CONNECTIONS);
      assertTrue(maxThreads <= quietThreads + THREAD_SLACK, "threads " + maxThreads);
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    assertHealthyAndBounded(0);
  }

  // --- finding 3: scrapes that never read ---

  @Test
  void scrapersThatNeverReadShareBoundedScrapes() throws Exception {
    for (int i = 0; i < 8; i++) {
      HttpResponse<String> explode = server.post("/predict", "{\"explode\": 1000}");
      assertEquals(200, explode.statusCode(), explode.body());
    }
    int scrapers = 150;
    List<Socket> held = new ArrayList<>();
    int maxThreads = 0;
    long maxRss = 0;
    try {
      for (int i = 0; i < scrapers; i++) {
        Socket s = new Socket();
        s.setReceiveBufferSize(1024);
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
        s.getOutputStream().write(ascii("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"));
        held.add(s);
        maxThreads = Math.max(maxThreads, threads());
        maxRss = Math.max(maxRss, rssBytes());
      }
      // Every scraper has its answer started (a page or a 503) or is still held: sample the
      // front while /health is asked.
      long end = System.nanoTime() + Progress.stretched(Duration.ofSeconds(2)).toNanos();
      while (System.nanoTime() < end) {
        maxThreads = Math.max(maxThreads, threads());
        maxRss = Math.max(maxRss, rssBytes());
        Thread.sleep(20); // sampling interval
      }
      assertEquals(200, timedHealth());
      assertTrue(
          maxThreads <= quietThreads + THREAD_SLACK,
          "threads " + maxThreads + " with " + scrapers + " scrapers; quiet " + quietThreads);
      assertTrue(
          maxRss <= quietRss + RSS_SLACK_BYTES,
          "RSS " + (maxRss >> 20) + " MiB; quiet " + (quietRss >> 20) + " MiB");
      int refused = 0;
      for (Socket s : held) {
        s.setSoTimeout((int) Progress.stretched(Duration.ofSeconds(10)).toMillis());
        String head = readHead(s.getInputStream());
        if (head.startsWith("HTTP/1.1 503")) {
          refused++;
          String reply = head + readBody(s.getInputStream(), head);
          assertTrue(errorOf(reply).contains("too many scrapes"), reply);
        } else {
          assertTrue(head.startsWith("HTTP/1.1 200"), head);
        }
      }
      // The page is far larger than what a non-reading client lets the kernel buffer, so the
      // first scrapes hold their slots and the rest are refused at once.
      assertTrue(refused > 0, "no scrape was refused");
      assertTrue(refused < scrapers, "every scrape was refused");
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    // Slots come back when their scrapers go: a scrape is answered again.
    ServerProcess.await(
        () -> server.statusOf("/metrics") == 200, Duration.ofSeconds(20), "/metrics 200 again");
    assertHealthyAndBounded(RSS_SLACK_BYTES);
  }

  // --- finding 7: bodies over the limit ---

  @Test
  void bodiesOverTheLimitGetTheJson413() throws Exception {
    String fits = rawPost(2_097_153, false);
    assertTrue(fits.startsWith("HTTP/1.1 200"), head(fits));
    assertTrue(rawPost(2_097_153, true).startsWith("HTTP/1.1 200"));
    for (long size : new long[] {MAX_PAYLOAD + 1, 10 * MAX_PAYLOAD}) {
      for (boolean chunked : new boolean[] {false, true}) {
        String reply = rawPost(size, chunked);
        String what = size + " bytes" + (chunked ? " chunked" : " with a length");
        assertTrue(reply.startsWith("HTTP/1.1 413"), what + ": " + head(reply));
        assertTrue(errorOf(reply).contains("over the limit of " + MAX_PAYLOAD), what + reply);
      }
    }
    assertHealthyAndBounded(RSS_SLACK_BYTES);
  }

  // --- the front's bounds ---

  static void assertHealthyAndBounded(long extraRss) throws Exception {
    assertEquals(200, timedHealth());
    // Connections the loads left behind close by the timeouts; the counts settle back.
    ServerProcess.await(
        () -> fds() <= quietFds + FD_SLACK, Duration.ofSeconds(20), "descriptors to settle");
    int threads = threads();
    assertTrue(threads <= quietThreads + THREAD_SLACK, "threads " + threads);
    long rss = rssBytes();
    assertTrue(
        rss <= quietRss + RSS_SLACK_BYTES + extraRss,
        "RSS " + (rss >> 20) + " MiB; quiet " + (quietRss >> 20) + " MiB");
  }

  /** /health's status, asked on a fresh connection that must be answered in a bounded time. */
  static int timedHealth() {
    return rawHealth(Duration.ofSeconds(10));
  }

  /** /health's status on a new connection, answered within {@code idleLimit} (stretched). */
  static int rawHealth(Duration idleLimit) {
    try (Socket s = connect()) {
      s.setSoTimeout((int) Progress.stretched(idleLimit).toMillis());
      s.getOutputStream()
          .write(ascii("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
      String head = readHead(s.getInputStream());
      Matcher m = Pattern.compile("^HTTP/1.1 (\\d{3})").matcher(head);
      return m.find() ? Integer.parseInt(m.group(1)) : fail("no status line: " + head);
    } catch (IOException e) {
      return fail("/health not answered: " + e);
    }
  }

  static int threads() {
    Matcher m = Pattern.compile("(?m)^Threads:\\s+(\\d+)").matcher(status());
    return m.find() ? Integer.parseInt(m.group(1)) : fail("no Threads in /proc status");
  }

  static long rssBytes() {
    Matcher m = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB").matcher(status());
    return m.find() ? Long.parseLong(m.group(1)) * 1024 : fail("no VmRSS in /proc status");
  }

  static int fds() {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    } catch (IOException e) {
      throw new AssertionError("cannot list the front's descriptors", e);
    }
  }

  private static String status() {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/status"));
    } catch (IOException e) {
      throw new AssertionError("cannot read the front's status", e);
    }
  }

  // --- raw HTTP ---

  static Socket connect() throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress("127.0.0.1", server.port()), 5000);
    return s;
  }

  /**
   * Waits until the server closes {@code s}, writing a byte every 200 ms when {@code trickle}
   * (slower than any timeout allows, faster than the idle timeout), and returns what the server
   * sent; fails when {@code limit} passes first.
   */
  static String assertClosed(Socket s, boolean trickle, Duration limit, String what)
      throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    s.setSoTimeout(200);
    long deadline = System.nanoTime() + limit.toNanos();
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    byte[] buffer = new byte[4096];
    while (System.nanoTime() - deadline < 0) {
      try {
        int n = in.read(buffer);
        if (n < 0) {
          return got.toString(StandardCharsets.ISO_8859_1);
        }
        got.write(buffer, 0, n);
      } catch (SocketTimeoutException e) {
        if (!trickle) {
          continue;
        }
        try {
          out.write('a');
          out.flush();
        } catch (IOException closed) {
          return got.toString(StandardCharsets.ISO_8859_1);
        }
      } catch (IOException reset) {
        return got.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return fail(what + " still open after " + limit + "; got " + got);
  }

  /**
   * POSTs a JSON body of exactly {@code size} bytes to the API, with a Content-Length or chunked,
   * reading the reply while writing (the server may answer before the body ends), and returns
   * the reply (status line, headers, body).
   */
  static String rawPost(long size, boolean chunked) throws Exception {
    try (Socket s = connect()) {
      s.setSoTimeout((int) Progress.stretched(Duration.ofSeconds(30)).toMillis());
      CompletableFuture<String> reply =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  InputStream in = s.getInputStream();
                  String head = readHead(in);
                  return head + readBody(in, head);
                } catch (IOException e) {
                  return "no reply: " + e;
                }
              });
      String head =
          "POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              + (chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + size + "\r\n")
              + "\r\n";
      OutputStream out = s.getOutputStream();
      try {
        out.write(ascii(head));
        byte[] prefix = ascii("{\"input\": \"");
        byte[] suffix = ascii("\"}");
        byte[] block = new byte[64 * 1024];
        Arrays.fill(block, (byte) 'a');
        writePart(out, prefix, chunked);
        for (long left = size - prefix.length - suffix.length; left > 0; ) {
          int n = (int) Math.min(block.length, left);
          writePart(out, Arrays.copyOf(block, n), chunked);
          left -= n;
          if (reply.isDone()) {
            break;
          }
        }
        writePart(out, suffix, chunked);
        if (chunked) {
          out.write(ascii("0\r\n\r\n"));
        }
        out.flush();
      } catch (IOException answeredEarly) {
        // the server answered and closed before the body ended: its reply is read below
      }
      Duration limit = Progress.stretched(Duration.ofSeconds(60));
      return reply.get(limit.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private static void writePart(OutputStream out, byte[] part, boolean chunked)
      throws IOException {
    if (chunked) {
      out.write(ascii(Integer.toHexString(part.length) + "\r\n"));
    }
    out.write(part);
    if (chunked) {
      out.write(ascii("\r\n"));
    }
  }

  /** Reads a reply's status line and headers, up to and including the blank line. */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads the body announced by {@code head}'s Content-Length (or to the end). */
  static String readBody(InputStream in, String head) throws IOException {
    Matcher m = Pattern.compile("(?im)^content-length:\\s*(\\d+)").matcher(head);
    byte[] body = m.find() ? in.readNBytes(Integer.parseInt(m.group(1))) : in.readAllBytes();
    return new String(body, StandardCharsets.UTF_8);
  }

  static String readReply(InputStream in) throws IOException {
    String head = readHead(in);
    return head + readBody(in, head);
  }

  static String errorOf(String reply) {
    int body = reply.indexOf("\r\n\r\n");
    try {
      JsonNode json = JSON.readTree(reply.substring(body + 4));
      return json.path("error").asText();
    } catch (IOException e) {
      return fail("not a JSON error body: " + reply);
    }
  }

  static String head(String reply) {
    int end = reply.indexOf("\r\n\r\n");
    return end < 0 ? reply : reply.substring(0, end);
  }

  static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.US_ASCII);
  }

  static String millis(Duration d) {
    return String.format(Locale.ROOT, "%dms", d.toMillis());
  }
}
