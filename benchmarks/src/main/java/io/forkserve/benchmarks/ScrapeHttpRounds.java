package io.forkserve.benchmarks;

import io.forkserve.metrics.exposition.Exposition;
import io.forkserve.metrics.exposition.ExpositionFormat;
import io.forkserve.metrics.merge.DirectoryScraper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times scrapes of one directory three ways in alternating rounds: in this process ({@link
 * DirectoryScraper#scrape()} + {@link Exposition#write} into memory, as {@link ScrapeBenchmark}
 * with a reused scraper), and over HTTP from a running server ({@code GET /metrics}, the body
 * read to its end over one kept-alive connection), plain and with {@code Accept-Encoding: gzip}
 * (the compressed body is read, not inflated). Wall time per scrape; prints each kind's median,
 * p90 and body size, and the ratios of the medians.
 *
 * <p>Usage: {@code ScrapeHttpRounds DIR HOST:PORT [ROUNDS] [PER_ROUND] [WARMUP]}.
 */
public final class ScrapeHttpRounds {
  private ScrapeHttpRounds() {}

  public static void main(String[] args) throws IOException {
    if (args.length < 2 || args.length > 5) {
      System.err.println("usage: ScrapeHttpRounds DIR HOST:PORT [ROUNDS] [PER_ROUND] [WARMUP]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]);
    String[] hostPort = args[1].split(":");
    InetSocketAddress address =
        new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 10;
    int perRound = args.length > 3 ? Integer.parseInt(args[3]) : 10;
    int warmup = args.length > 4 ? Integer.parseInt(args[4]) : 30;

    ByteArrayOutputStream memory = new ByteArrayOutputStream(8 << 20);
    try (DirectoryScraper scraper = new DirectoryScraper(dir);
        HttpScrapes http = new HttpScrapes(address)) {
      Kind[] kinds = {
        new Kind("in-process", () -> {
          memory.reset();
          Exposition.write(scraper.scrape(), ExpositionFormat.TEXT, memory);
          return memory.size();
        }),
        new Kind("http", () -> http.get(false)),
        new Kind("http-gzip", () -> http.get(true)),
      };
      for (int i = 0; i < warmup; i++) {
        for (Kind k : kinds) {
          k.run();
        }
      }
      for (Kind k : kinds) {
        k.times.clear();
      }
      for (int r = 0; r < rounds; r++) {
        for (int j = 0; j < kinds.length; j++) {
          Kind k = kinds[(r + j) % kinds.length]; // who goes first alternates
          for (int i = 0; i < perRound; i++) {
            k.times.add(k.time());
          }
        }
      }
      double base = kinds[0].median();
      for (Kind k : kinds) {
        System.out.printf(Locale.ROOT, "%-10s median_ms=%.2f p90_ms=%.2f bytes=%d n=%d"
            + " ratio_to_in_process=%.2f%n",
            k.name, k.median(), k.percentile(0.9), k.bytes, k.times.size(), k.median() / base);
      }
      System.out.printf(Locale.ROOT, "gzip/http=%.2f%n", kinds[2].median() / kinds[1].median());
    }
  }

  private interface Scrape {
    int run() throws IOException;
  }

  private static final class Kind {
    final String name;
    final Scrape scrape;
    final List<Double> times = new ArrayList<>();
    int bytes;

    Kind(String name, Scrape scrape) {
      this.name = name;
      this.scrape = scrape;
    }

    void run() throws IOException {
      bytes = scrape.run();
    }

    double time() throws IOException {
      long t0 = System.nanoTime();
      run();
      return (System.nanoTime() - t0) / 1e6;
    }

    double median() {
      return percentile(0.5);
    }

    double percentile(double p) {
      double[] s = times.stream().mapToDouble(Double::doubleValue).toArray();
      Arrays.sort(s);
      return s[Math.min(s.length - 1, (int) Math.floor(p * s.length))];
    }
  }

  /** HTTP/1.1 GETs of /metrics over one kept-alive connection; bodies read and dropped. */
  private static final class HttpScrapes implements AutoCloseable {
    private final InetSocketAddress address;
    private final byte[] buf = new byte[1 << 16];
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private int pos;
    private int limit;

    HttpScrapes(InetSocketAddress address) {
      this.address = address;
    }

    /** One scrape; returns the body's length in bytes. */
    int get(boolean gzip) throws IOException {
      if (socket == null) {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(address, 10_000);
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
        pos = 0;
        limit = 0;
      }
      String request = "GET /metrics HTTP/1.1\r\nHost: " + address.getHostString() + "\r\n"
          + (gzip ? "Accept-Encoding: gzip\r\n" : "") + "\r\n";
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String status = line();
      if (!status.startsWith("HTTP/1.1 200")) {
        throw new IOException("unexpected status: " + status);
      }
      long length = -1;
      boolean chunked = false;
      boolean gzipped = false;
      for (String h = line(); !h.isEmpty(); h = line()) {
        String lower = h.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(lower.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        } else if (lower.startsWith("content-encoding:") && lower.contains("gzip")) {
          gzipped = true;
        }
      }
      if (gzip != gzipped) {
        throw new IOException("asked gzip=" + gzip + ", got gzip=" + gzipped);
      }
      if (!chunked) {
        skip(length);
        return (int) length;
      }
      int total = 0;
      for (long n = Long.parseLong(line().trim(), 16); n > 0; n = Long.parseLong(line().trim(),
          16)) {
        skip(n);
        line();
        total += (int) n;
      }
      line();
      return total;
    }

    private String line() throws IOException {
      StringBuilder sb = new StringBuilder();
      while (true) {
        int b = read();
        if (b == '\n') {
          int n = sb.length();
          return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
        }
        sb.append((char) b);
      }
    }

    private int read() throws IOException {
      if (pos == limit) {
        fill();
      }
      return buf[pos++] & 0xff;
    }

    private void skip(long n) throws IOException {
      while (n > 0) {
        if (pos == limit) {
          fill();
        }
        int k = (int) Math.min(n, limit - pos);
        pos += k;
        n -= k;
      }
    }

    private void fill() throws IOException {
      int n = in.read(buf);
      if (n < 0) {
        throw new IOException("connection closed");
      }
      pos = 0;
      limit = n;
    }

    @Override
    public void close() throws IOException {
      if (socket != null) {
        socket.close();
      }
    }
  }
}
