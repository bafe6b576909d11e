package io.forkserve.metrics.exposition;

import io.forkserve.metrics.model.SampleLines;
import io.forkserve.metrics.model.Exemplar;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricSnapshots;
import io.forkserve.metrics.model.MetricType;
import io.forkserve.metrics.model.Sample;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/** Writes snapshots in an exposition format. Stateless and thread-safe. */
public final class Exposition {
  private Exposition() {}

  /** Writes {@code snapshots} to {@code out} (not closed, not compressed). */
  public static void write(MetricSnapshots snapshots, ExpositionFormat format, OutputStream out)
      throws IOException {
    ByteSink sink = new ByteSink(out);
    try {
      write(snapshots, format, sink);
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    sink.writeTo(out);
  }

  static void write(MetricSnapshots snapshots, ExpositionFormat format, ByteSink sink) {
    boolean om = format == ExpositionFormat.OPENMETRICS;
    for (MetricFamilySnapshot family : snapshots.families()) {
      if (family.sampleCount() == 0) {
        continue;
      }
      String name = family.name();
      String type = family.type().token();
      if (!om && family.type() == MetricType.COUNTER) {
        name = name + "_total";
      } else if (!om && family.type() == MetricType.INFO) {
        name = name + "_info"; // text 0.0.4 has no info and state set types: gauges
        type = MetricType.GAUGE.token();
      } else if (!om && family.type() == MetricType.STATESET) {
        type = MetricType.GAUGE.token();
      }
      if (!family.help().isEmpty()) {
        sink.ascii("# HELP ").ascii(name).ascii(" ");
        writeHelp(family.help(), om, sink);
        sink.newline();
      }
      sink.ascii("# TYPE ").ascii(name).ascii(" ").ascii(type).newline();
      SampleLines lines = family.lines();
      if (lines != null) {
        writeLines(lines, sink);
        continue;
      }
      NameCache names = new NameCache();
      for (Sample s : family.samples()) {
        byte[] sampleName = names.utf8(s.name());
        sink.bytes(sampleName, 0, sampleName.length).labels(s.labels())
            .ascii(" ").value(s.value());
        Exemplar e = s.exemplar();
        if (om && e != null) {
          sink.ascii(" # ").utf8(e.labels().exposition()).ascii(" ").value(e.value())
              .ascii(" ").ascii(timestamp(e.timestamp()));
        }
        sink.newline();
      }
    }
    if (om) {
      sink.ascii("# EOF").newline();
    }
  }

  /** Lines carry no exemplars: families with exemplars are made of samples. */
  private static void writeLines(SampleLines lines, ByteSink sink) {
    SampleLines.Table table = lines.table();
    byte[] labels = table.labelUtf8();
    for (int i = 0; i < lines.size(); i++) {
      int line = lines.line(i);
      byte[] name = table.nameUtf8(line);
      int start = table.labelStart(line);
      sink.bytes(name, 0, name.length).bytes(labels, start, table.labelEnd(line) - start)
          .ascii(" ").value(lines.value(i)).newline();
    }
  }

  /** The UTF-8 bytes of a family's sample names, which are a few String instances. */
  private static final class NameCache {
    private final String[] names = new String[4];
    private final byte[][] bytes = new byte[4][];
    private int next;

    byte[] utf8(String name) {
      for (int i = 0; i < names.length; i++) {
        if (names[i] == name) {
          return bytes[i];
        }
      }
      int i = next++ & (names.length - 1);
      names[i] = name;
      bytes[i] = name.getBytes(StandardCharsets.UTF_8);
      return bytes[i];
    }
  }

  /** Unix seconds to the millisecond, without an exponent ({@code 1700000000.5}). */
  static String timestamp(double seconds) {
    return BigDecimal.valueOf(seconds).setScale(3, RoundingMode.HALF_EVEN).stripTrailingZeros()
        .toPlainString();
  }

  private static void writeHelp(String help, boolean om, ByteSink sink) {
    if (!needsEscape(help, om)) {
      sink.utf8(help);
      return;
    }
    StringBuilder sb = new StringBuilder(help.length() + 8);
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      if (c == '\\') {
        sb.append("\\\\");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c == '"' && om) {
        sb.append("\\\"");
      } else {
        sb.append(c);
      }
    }
    sink.utf8(sb.toString());
  }

  private static boolean needsEscape(String help, boolean om) {
    for (int i = 0; i < help.length(); i++) {
      char c = help.charAt(i);
      if (c == '\\' || c == '\n' || c == '"' && om) {
        return true;
      }
    }
    return false;
  }

  /**
   * True when an {@code Accept-Encoding} header allows gzip: {@code gzip} or {@code x-gzip}
   * with a q-value above zero, or else {@code *} with a q-value above zero. Null: false.
   */
  public static boolean acceptsGzip(String acceptEncoding) {
    if (acceptEncoding == null) {
      return false;
    }
    double gzip = -1;
    double star = -1;
    for (String coding : acceptEncoding.split(",")) {
      String[] parts = coding.split(";");
      String name = parts[0].trim().toLowerCase(Locale.ROOT);
      double q = ExpositionFormat.quality(parts);
      if (name.equals("gzip") || name.equals("x-gzip")) {
        gzip = Math.max(gzip, q);
      } else if (name.equals("*")) {
        star = Math.max(star, q);
      }
    }
    return gzip >= 0 ? gzip > 0 : star > 0;
  }
}
