package io.forkserve.metrics.exposition;

import static io.forkserve.metrics.exposition.ExpositionFormat.OPENMETRICS;
import static io.forkserve.metrics.exposition.ExpositionFormat.TEXT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.metrics.model.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** Accept and Accept-Encoding handling, q-values included. */
class NegotiationTest {
  static final String PROMETHEUS_2 = "application/openmetrics-text;version=1.0.0,"
      + "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
      + "*/*;q=0.1";
  static final String PROMETHEUS_3 = "application/openmetrics-text;version=1.0.0;"
      + "escaping=allow-utf-8;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
      + "application/openmetrics-text;version=0.0.1;q=0.3,text/plain;version=0.0.4;q=0.2,"
      + "*/*;q=0.1";

  @Test
  void contentTypes() {
    assertEquals("text/plain; version=0.0.4; charset=utf-8", TEXT.contentType());
    assertEquals("application/openmetrics-text; version=1.0.0; charset=utf-8",
        OPENMETRICS.contentType());
  }

  @Test
  void prometheusScrapersGetOpenMetrics() {
    assertEquals(OPENMETRICS, ExpositionFormat.negotiate(PROMETHEUS_2));
    assertEquals(OPENMETRICS, ExpositionFormat.negotiate(PROMETHEUS_3));
  }

  @Test
  void noPreferenceGetsText() {
    assertEquals(TEXT, ExpositionFormat.negotiate(null));
    assertEquals(TEXT, ExpositionFormat.negotiate(""));
    assertEquals(TEXT, ExpositionFormat.negotiate("*/*"));
    assertEquals(TEXT, ExpositionFormat.negotiate("text/plain"));
    assertEquals(TEXT, ExpositionFormat.negotiate("text/plain;version=0.0.4"));
  }

  @Test
  void qValuesDecide() {
    assertEquals(TEXT, ExpositionFormat.negotiate(
        "application/openmetrics-text;version=1.0.0;q=0.2,text/plain;q=0.9"));
    assertEquals(OPENMETRICS, ExpositionFormat.negotiate(
        "text/plain;q=0.3, application/openmetrics-text; q=0.8"));
    assertEquals(TEXT, ExpositionFormat.negotiate("application/openmetrics-text;q=0, */*;q=0.1"));
    assertEquals(TEXT, ExpositionFormat.negotiate("application/openmetrics-text;q=0"));
  }

  @Test
  void tiesGoToTheRangeListedFirst() {
    assertEquals(OPENMETRICS,
        ExpositionFormat.negotiate("application/openmetrics-text, text/plain"));
    assertEquals(TEXT, ExpositionFormat.negotiate("text/plain, application/openmetrics-text"));
  }

  @Test
  void unknownVersionsAndTypesAreNotAcceptable() {
    assertEquals(TEXT, ExpositionFormat.negotiate("application/openmetrics-text;version=2.0.0"));
    assertEquals(TEXT, ExpositionFormat.negotiate(
        "text/plain;version=0.0.4;q=0.1, application/openmetrics-text;version=9"));
    assertEquals(TEXT, ExpositionFormat.negotiate("application/json"));
    assertEquals(OPENMETRICS, ExpositionFormat.negotiate(
        "text/plain;version=1.0.0, application/openmetrics-text;q=0.1"));
  }

  @Test
  void mediaTypesAreCaseInsensitiveAndParametersMayBeSpacedOrQuoted() {
    assertEquals(OPENMETRICS,
        ExpositionFormat.negotiate("Application/OpenMetrics-Text ; Version=\"1.0.0\""));
  }

  @Test
  void gzipOnlyWhenAllowed() {
    assertFalse(Exposition.acceptsGzip(null));
    assertFalse(Exposition.acceptsGzip(""));
    assertFalse(Exposition.acceptsGzip("identity"));
    assertFalse(Exposition.acceptsGzip("deflate, br"));
    assertTrue(Exposition.acceptsGzip("gzip"));
    assertTrue(Exposition.acceptsGzip("GZIP"));
    assertTrue(Exposition.acceptsGzip("x-gzip"));
    assertTrue(Exposition.acceptsGzip("deflate, gzip;q=0.5"));
    assertTrue(Exposition.acceptsGzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    assertTrue(Exposition.acceptsGzip("*"));
  }

  @Test
  void gzipWithQZeroIsRefusedEvenUnderAStar() {
    assertFalse(Exposition.acceptsGzip("gzip;q=0"));
    assertFalse(Exposition.acceptsGzip("gzip; q=0.000"));
    assertFalse(Exposition.acceptsGzip("gzip;q=0, *"));
    assertFalse(Exposition.acceptsGzip("*;q=0"));
  }

  @Test
  void responseIsCompressedExactlyOnceWhenAllowed() throws Exception {
    byte[] plain = ExpositionTest.write(ExpositionTest.snapshots(), OPENMETRICS)
        .getBytes(StandardCharsets.UTF_8);
    MetricsResponse gz = MetricsResponse.render(ExpositionTest.snapshots(), PROMETHEUS_2,
        "gzip, deflate");
    assertTrue(gz.gzipped());
    assertEquals("gzip", gz.contentEncoding());
    assertEquals(OPENMETRICS.contentType(), gz.contentType());
    byte[] once = gunzip(gz.body());
    assertArrayEquals(plain, once);
    assertEquals('#', once[0], "decompressing once gives the text, not gzip again");
  }

  @Test
  void responseIsPlainWhenGzipIsNotAllowed() {
    MetricsResponse r = MetricsResponse.render(ExpositionTest.snapshots(), null, "gzip;q=0");
    assertFalse(r.gzipped());
    assertEquals(null, r.contentEncoding());
    assertEquals(TEXT, r.format());
    assertEquals(r.bodyLength(), r.body().length);
    assertTrue(new String(r.body(), StandardCharsets.UTF_8).startsWith("# HELP jobs_total "));
  }

  @Test
  void largeBodySpansPagesAndGunzipsToThePlainBody() throws Exception {
    List<Sample> samples = new ArrayList<>();
    for (int i = 0; i < 5_000; i++) { // about 300 KB of text: several pages
      samples.add(new Sample("requests_total",
          Labels.of(new String[] {"route"}, new String[] {"/api/v1/resource/" + i}), i + 0.5));
    }
    MetricSnapshots snapshots = new MetricSnapshots(List.of(
        new MetricFamilySnapshot("requests", MetricType.COUNTER, "Requests.", samples)));
    MetricsResponse plain = MetricsResponse.render(snapshots, null, null);
    MetricsResponse gz = MetricsResponse.render(snapshots, null, "gzip");
    assertTrue(plain.bodyBuffers().length > 1);
    assertEquals(plain.bodyLength(), plain.body().length);
    assertEquals(gz.bodyLength(), gz.body().length);
    assertArrayEquals(plain.body(), gunzip(gz.body()));
    String text = new String(plain.body(), StandardCharsets.UTF_8);
    assertTrue(text.endsWith("requests_total{route=\"/api/v1/resource/4999\"} 4999.5\n"), text);
  }

  private static byte[] gunzip(byte[] body) throws IOException {
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
      return in.readAllBytes();
    }
  }
}
