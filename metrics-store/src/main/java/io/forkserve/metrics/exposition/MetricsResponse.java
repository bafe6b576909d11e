package io.forkserve.metrics.exposition;

import io.forkserve.metrics.model.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;

/**
 * A rendered scrape response: content type, whether the body is gzip-compressed, and the body.
 * An HTTP handler sets {@code Content-Type}, sets {@code Content-Encoding: gzip} when {@link
 * #gzipped()} (and must then not compress again), and sends {@link #body()}. Immutable.
 */
public final class MetricsResponse {
  private final ExpositionFormat format;
  private final boolean gzipped;
  private final byte[] body;
  private final int length;

  private MetricsResponse(ExpositionFormat format, boolean gzipped, byte[] body, int length) {
    this.format = format;
    this.gzipped = gzipped;
    this.body = body;
    this.length = length;
  }

  /**
   * Renders {@code snapshots} in the format {@code accept} prefers, gzip-compressed once when
   * {@code acceptEncoding} allows it. Either header may be null.
   */
  public static MetricsResponse render(
      MetricSnapshots snapshots, String accept, String acceptEncoding) {
    ExpositionFormat format = ExpositionFormat.negotiate(accept);
    ByteSink sink = Exposition.sinkFor(snapshots);
    Exposition.write(snapshots, format, sink);
    if (!Exposition.acceptsGzip(acceptEncoding)) {
      return new MetricsResponse(format, false, sink.array(), sink.size());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(sink.size() / 8 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
      gz.write(sink.array(), 0, sink.size());
    } catch (IOException e) {
      throw new UncheckedIOException(e); // cannot happen writing to memory
    }
    byte[] gz = out.toByteArray();
    return new MetricsResponse(format, true, gz, gz.length);
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
    return Arrays.copyOf(body, length);
  }

  /** The body as a read-only buffer, without copying. */
  public ByteBuffer bodyBuffer() {
    return ByteBuffer.wrap(body, 0, length).slice().asReadOnlyBuffer();
  }

  /** Length of the body in bytes. */
  public int bodyLength() {
    return length;
  }
}
