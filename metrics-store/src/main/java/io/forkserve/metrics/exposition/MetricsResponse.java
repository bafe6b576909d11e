package io.forkserve.metrics.exposition;

import io.forkserve.metrics.model.MetricSnapshots;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPOutputStream;

/**
 * A rendered scrape response: content type, whether the body is gzip-compressed, and the body.
 * An HTTP handler sets {@code Content-Type}, sets {@code Content-Encoding: gzip} when {@link
 * #gzipped()} (and must then not compress again), and sends {@link #bodyBuffers()}. Immutable.
 */
public final class MetricsResponse {
  /*
   * Deflate level of the gzip body. On the 8 pids x 2,000 series page (3.4 MB of text; see
   * benchmarks/README.md) level 1 took 6.5 ms of CPU against 20.2 ms for the default level 6, for
   * 209 KB against 139 KB: a third of the time for a body half again as large, still 6% of the
   * text. Level 3 gained little (199 KB, 8.3 ms).
   */
  static final int GZIP_LEVEL = 1;

  private final ExpositionFormat format;
  private final boolean gzipped;
  private final ByteBuffer[] pages;
  private final int length;

  private MetricsResponse(ExpositionFormat format, boolean gzipped, ByteSink body) {
    this.format = format;
    this.gzipped = gzipped;
    this.pages = body.buffers();
    this.length = body.size();
  }

  /**
   * Renders {@code snapshots} in the format {@code accept} prefers, gzip-compressed once when
   * {@code acceptEncoding} allows it. Either header may be null.
   */
  public static MetricsResponse render(
      MetricSnapshots snapshots, String accept, String acceptEncoding) {
    ExpositionFormat format = ExpositionFormat.negotiate(accept);
    ByteSink sink = new ByteSink();
    Exposition.write(snapshots, format, sink);
    if (!Exposition.acceptsGzip(acceptEncoding)) {
      return new MetricsResponse(format, false, sink);
    }
    ByteSink gz = new ByteSink();
    try (GZIPOutputStream out = new LeveledGzip(gz, GZIP_LEVEL)) {
      sink.writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen writing to memory
    }
    return new MetricsResponse(format, true, gz);
  }

  /** The chosen format. */
  public ExpositionFormat format() {
    return format;
  }

  /** The Content-Type header value. */
  public String contentType() {
    return format.contentType();
  }

  /** True when the body is gzip-compressed: send {@code Content-Encoding: gzip}. */
  public boolean gzipped() {
    return gzipped;
  }

  /** The Content-Encoding header value, or null when the body is not compressed. */
  public String contentEncoding() {
    return gzipped ? "gzip" : null;
  }

  /** The body bytes (a copy). */
  public byte[] body() {
    byte[] out = new byte[length];
    int at = 0;
    for (ByteBuffer b : bodyBuffers()) {
      int n = b.remaining();
      b.get(out, at, n);
      at += n;
    }
    return out;
  }

  /**
   * The body as read-only buffers, in order, without copying the bytes: fresh views on each
   * call, so that several exchanges can send one response at once (a gathering write).
   */
  public ByteBuffer[] bodyBuffers() {
    ByteBuffer[] out = new ByteBuffer[pages.length];
    for (int i = 0; i < pages.length; i++) {
      out[i] = pages[i].duplicate();
    }
    return out;
  }

  /** Length of the body in bytes. */
  public int bodyLength() {
    return length;
  }

  /** A gzip stream at a chosen deflate level. */
  private static final class LeveledGzip extends GZIPOutputStream {
    LeveledGzip(OutputStream out, int level) throws IOException {
      super(out, ByteSink.PAGE);
      def.setLevel(level);
    }
  }
}
