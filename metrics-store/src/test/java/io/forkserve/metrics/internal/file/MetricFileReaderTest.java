package io.forkserve.metrics.internal.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.forkserve.metrics.file.FormatVersion;
import io.forkserve.testsupport.Fixtures;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The reader on files prometheus_client wrote: the version is detected per file. */
class MetricFileReaderTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(textBlock = """
      v0.16.0/counters/counter_15550.db,            V1
      v0.16.0/gauges/gauge_livesum_15555.db,        V1
      v0.16.0/many_series/histogram_15558.db,       V1
      v0.25.0/counters/counter_15565.db,            V2
      v0.25.0/gauges/gauge_mostrecent_15570.db,     V2
      v0.25.0/many_series/histogram_15573.db,       V2
      """)
  void detectsTheFormatOfPythonFiles(String file, FormatVersion expected) throws Exception {
    Path path = Fixtures.prometheusClient(file);
    MetricFileReader reader =
        new MetricFileReader(path, MetricFileName.parse(path.getFileName().toString()));
    reader.read(new ReaderContext());
    assertEquals(expected, reader.version());
    int entries = reader.entryCount();
    int expectedUsed = FileLayout.HEADER_LENGTH;
    for (int i = 0; i < entries; i++) {
      EntryKey key = reader.key(i);
      assertEquals(true, key.sampleName().startsWith(key.metricName()), key.toString());
      expectedUsed = reader.valueOffset(i) + expected.valueStride();
    }
    assertEquals(expectedUsed, reader.used(), "the last entry ends at used");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(textBlock = """
      v0.25.0/gauges/gauge_mostrecent_15570.db
      """)
  void readsTimestampsOfV2Files(String file) throws Exception {
    Path path = Fixtures.prometheusClient(file);
    MetricFileReader reader =
        new MetricFileReader(path, MetricFileName.parse(path.getFileName().toString()));
    reader.read(new ReaderContext());
    boolean anySet = false;
    for (int i = 0; i < reader.entryCount(); i++) {
      double ts = reader.timestamp(i);
      // Unix seconds of 2020..2100 when set(), else 0.
      assertEquals(true, ts == 0 || ts > 1.5e9 && ts < 4.2e9, "timestamp " + ts);
      anySet |= ts > 0;
    }
    assertEquals(true, anySet);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(textBlock = """
      v0.16.0/gauges/gauge_all_15555.db
      """)
  void v1FilesHaveNoTimestamps(String file) throws Exception {
    Path path = Fixtures.prometheusClient(file);
    MetricFileReader reader =
        new MetricFileReader(path, MetricFileName.parse(path.getFileName().toString()));
    reader.read(new ReaderContext());
    for (int i = 0; i < reader.entryCount(); i++) {
      assertEquals(0.0, reader.timestamp(i));
    }
    assertNull(MetricFileName.parse("gauge_mostrecent.db"));
  }

}
