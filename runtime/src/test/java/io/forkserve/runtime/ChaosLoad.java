package io.forkserve.runtime;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Steady client load on one forkserve front: {@code concurrency} threads, each sending one request
 * at a time on its own connection ({@code Connection: close}) with a deadline, good requests mixed
 * with bad ones, counting every answer by status and every request without an answer by cause. Raw
 * sockets, so that what is sent (a declared oversize length, a body trickled slowly) is exactly
 * what the test says. A good request holds its worker for {@code hold} ({@code sleep_ms}): the
 * workers always have requests in flight, at a rate the clients' count bounds, instead of as many
 * as two cores can serve.
 */
final class ChaosLoad {
  /** What a request is, in the order of {@link #MIX}. */
  enum Kind {
    GOOD,
    MALFORMED_JSON,
    OVERSIZE,
    WRONG_KEY,
    UNKNOWN_PATH,
    SLOW_CLIENT
  }

  /** One cycle of the mix each thread repeats: 15 good requests in 20. */
  static final List<Kind> MIX =
      List.of(
          Kind.GOOD,
          Kind.GOOD,
          Kind.MALFORMED_JSON,
          Kind.GOOD,
          Kind.GOOD,
          Kind.OVERSIZE,
          Kind.GOOD,
          Kind.GOOD,
          Kind.WRONG_KEY,
          Kind.GOOD,
          Kind.GOOD,
          Kind.UNKNOWN_PATH,
          Kind.GOOD,
          Kind.GOOD,
          Kind.SLOW_CLIENT,
          Kind.GOOD,
          Kind.GOOD,
          Kind.GOOD,
          Kind.GOOD,
          Kind.GOOD);

  private final int port;
  private final String apiKey;
  private final long maxPayload;
  private final Duration deadline;
  private final long holdMillis;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running = true;
  private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
  private final LongAdder sent = new LongAdder();
  private final AtomicLong maxLatencyNanos = new AtomicLong();

  ChaosLoad(
      int port, String apiKey, long maxPayload, Duration deadline, int concurrency, Duration hold) {
    this.port = port;
    this.apiKey = apiKey;
    this.maxPayload = maxPayload;
    this.deadline = deadline;
    this.holdMillis = hold.toMillis();
    for (int t = 0; t < concurrency; t++) {
      int offset = t * 7;
      Thread thread = new Thread(() -> run(offset), "chaos-load-" + t);
      thread.setDaemon(true);
      threads.add(thread);
    }
  }

  ChaosLoad start() {
    threads.forEach(Thread::start);
    return this;
  }

  private void run(int offset) {
    for (long i = offset; running; i++) {
      Kind kind = MIX.get((int) (i % MIX.size()));
      String outcome = send(kind, i);
      sent.increment();
      counts.computeIfAbsent(kind + " " + outcome, k -> new LongAdder()).increment();
    }
  }

  /** Stops sending, waits for the requests in flight to end, and returns this. */
  ChaosLoad stop() throws InterruptedException {
    running = false;
    for (Thread thread : threads) {
      thread.join(deadline.toMillis() + 5_000);
      if (thread.isAlive()) {
        throw new IllegalStateException(thread.getName() + " still running after its deadline");
      }
    }
    return this;
  }

  long sent() {
    return sent.sum();
  }

  Duration maxLatency() {
    return Duration.ofNanos(maxLatencyNanos.get());
  }

  /** "KIND OUTCOME" to count; OUTCOME is a status code, {@code timeout} or {@code io_error}. */
  Map<String, Long> counts() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Answers by status code, over all kinds. */
  Map<String, Long> byStatus() {
    Map<String, Long> out = new TreeMap<>();
    counts()
        .forEach(
            (k, v) -> {
              String outcome = k.substring(k.indexOf(' ') + 1);
              if (Character.isDigit(outcome.charAt(0))) {
                out.merge(outcome, v, Long::sum);
              }
            });
    return out;
  }

  /** Requests of {@code kind} that ended with {@code outcome}. */
  long count(Kind kind, String outcome) {
    return counts().getOrDefault(kind + " " + outcome, 0L);
  }

  /** Requests without an answer (timeout, I/O error), by cause. */
  Map<String, Long> unanswered() {
    Map<String, Long> out = new TreeMap<>();
    counts()
        .forEach(
            (k, v) -> {
              String outcome = k.substring(k.indexOf(' ') + 1);
              if (!Character.isDigit(outcome.charAt(0))) {
                out.merge(outcome, v, Long::sum);
              }
            });
    return out;
  }

  private String send(Kind kind, long i) {
    long start = System.nanoTime();
    long end = start + deadline.toNanos();
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) deadline.toMillis());
      OutputStream out = socket.getOutputStream();
      write(kind, i, out, end);
      return Integer.toString(readStatus(socket, end));
    } catch (SocketTimeoutException e) {
      return "timeout";
    } catch (IOException e) {
      return "io_error";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    } finally {
      maxLatencyNanos.accumulateAndGet(System.nanoTime() - start, Math::max);
    }
  }

  private void write(Kind kind, long i, OutputStream out, long end)
      throws IOException, InterruptedException {
    String good = "{\"input\": " + i + ", \"sleep_ms\": " + holdMillis + "}";
    switch (kind) {
      case GOOD -> out.write(request("/predict", apiKey, good.length(), good));
      case MALFORMED_JSON -> out.write(request("/predict", apiKey, 10, "{\"input\": "));
      case OVERSIZE -> out.write(request("/predict", apiKey, maxPayload + 1, ""));
      case WRONG_KEY -> out.write(request("/predict", "not-" + apiKey, good.length(), good));
      case UNKNOWN_PATH -> out.write(request("/no-such-path", apiKey, good.length(), good));
      case SLOW_CLIENT -> {
        byte[] body = good.getBytes(StandardCharsets.US_ASCII);
        out.write(request("/predict", apiKey, body.length, ""));
        for (int sentBytes = 0; sentBytes < body.length; sentBytes += 4) {
          out.flush();
          Thread.sleep(Math.min(100, Math.max(0, (end - System.nanoTime()) / 1_000_000)));
          out.write(body, sentBytes, Math.min(4, body.length - sentBytes));
        }
      }
    }
    out.flush();
  }

  private static byte[] request(String path, String key, long length, String body) {
    return ("POST "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            + "Content-Type: application/json\r\nX-API-Key: "
            + key
            + "\r\nContent-Length: "
            + length
            + "\r\n\r\n"
            + body)
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Reads the whole response (the server closes the connection) and returns its status. */
  private static int readStatus(Socket socket, long end) throws IOException {
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream response = new ByteArrayOutputStream();
    byte[] buffer = new byte[4096];
    while (true) {
      long left = (end - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new SocketTimeoutException("deadline");
      }
      socket.setSoTimeout((int) left);
      int n = in.read(buffer);
      if (n < 0) {
        break;
      }
      response.write(buffer, 0, n);
    }
    String text = response.toString(StandardCharsets.ISO_8859_1);
    if (!text.startsWith("HTTP/1.1 ")) {
      throw new IOException("no status line: " + text);
    }
    return Integer.parseInt(text.substring(9, 12));
  }
}
