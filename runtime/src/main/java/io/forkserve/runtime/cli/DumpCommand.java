package io.forkserve.runtime.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.internal.file.MetricFileException;
import io.forkserve.metrics.internal.file.MetricFileName;
import io.forkserve.metrics.internal.file.MetricFileReader;
import io.forkserve.metrics.internal.file.ReaderContext;
import io.forkserve.metrics.model.Labels;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code dump FILE [--json]}: every entry of one metric file, in file order. */
final class DumpCommand {
  private DumpCommand() {}

  /** One entry, as printed; the record's components are the JSON fields. */
  record Entry(
      int offset,
      String metric,
      String sample,
      Map<String, String> labels,
      String help,
      double value,
      Double timestamp) {}

  /** The whole file, as printed with {@code --json}. */
  record Dump(String file, String kind, String pid, String format, int used, long capacity,
      List<Entry> entries) {}

  static int run(Args args, PrintStream out) throws CliException {
    Path file = Path.of(args.single("FILE"));
    if (!Files.isRegularFile(file)) {
      throw new CliException(MetricsCli.BAD_PATH, file + ": no such file");
    }
    MetricFileName name = MetricFileName.parse(file.getFileName().toString());
    if (name == null) {
      throw new CliException(MetricsCli.BAD_PATH, file + ": not a metric file name "
          + "(counter_ID.db, gauge_MODE_ID.db, histogram_ID.db or summary_ID.db)");
    }
    MetricFileReader reader = new MetricFileReader(file, name);
    try {
      reader.read(new ReaderContext());
    } catch (MetricFileException e) {
      throw new CliException(MetricsCli.BAD_PATH, file + ": " + e.reason().label() + ": "
          + e.detail());
    }
    Dump dump = dump(file, name, reader);
    if (args.flag("--json")) {
      printJson(dump, out);
    } else {
      printText(dump, out);
    }
    return MetricsCli.OK;
  }

  private static Dump dump(Path file, MetricFileName name, MetricFileReader reader) {
    boolean v2 = reader.version() != null && reader.version().number() == 2;
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < reader.entryCount(); i++) {
      EntryKey key = reader.key(i);
      entries.add(new Entry(reader.valueOffset(i), key.metricName(), key.sampleName(),
          labelMap(key.labels()), key.help(), reader.value(i), v2 ? reader.timestamp(i) : null));
    }
    String kind = name.type().token() + (name.mode() == null ? "" : "/" + name.mode());
    String format = reader.version() == null ? "empty" : "v" + reader.version().number();
    return new Dump(file.toString(), kind, name.id(), format, reader.used(), reader.size(),
        entries);
  }

  private static Map<String, String> labelMap(Labels labels) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < labels.size(); i++) {
      map.put(labels.name(i), labels.value(i));
    }
    return map;
  }

  private static void printText(Dump dump, PrintStream out) {
    out.printf("%s: %s, pid %s, format %s, used %d of %d bytes, %d entries%n", dump.file(),
        dump.kind(), dump.pid(), dump.format(), dump.used(), dump.capacity(),
        dump.entries().size());
    for (Entry e : dump.entries()) {
      String ts = e.timestamp() == null ? "" : "  ts=" + e.timestamp();
      out.printf("%8d  %s%s = %s%s%n", e.offset(), e.sample(), labelText(e.labels()),
          e.value(), ts);
    }
  }

  private static String labelText(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder("{");
    labels.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(k).append("=\"")
        .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
        .append('"'));
    return sb.append('}').toString();
  }

  private static void printJson(Dump dump, PrintStream out) {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    try {
      out.println(mapper.writeValueAsString(dump));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
