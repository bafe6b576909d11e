package io.forkserve.metrics.merge;

import io.forkserve.metrics.internal.ExactSum;
import io.forkserve.metrics.internal.FloatFormat;
import io.forkserve.metrics.internal.MergeRule;
import io.forkserve.metrics.model.SampleLines;
import io.forkserve.metrics.internal.file.EntryKey;
import io.forkserve.metrics.model.Labels;
import io.forkserve.metrics.model.MetricFamilySnapshot;
import io.forkserve.metrics.model.MetricType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The merged series of a directory: one slot per merged sample, filled anew each scrape by
 * {@link #add}, read by {@link #snapshot}. Families, label sets and sample names are built once
 * per series, so a scrape only combines doubles and allocates the snapshot. Not thread-safe.
 */
final class SeriesTable {
  /*
   * Slots follow prometheus_client's MultiProcessCollector. A slot is one merged sample: for
   * counters, summaries and histogram _sum/_count the key is (family, sample, labels) and values
   * are summed; a histogram bucket is keyed by its group (labels without le) and the numeric le,
   * summed, and at snapshot time the group's buckets, sorted by bound, are made cumulative and
   * _count is the last of them. Gauges in modes all/liveall add a pid label (one slot per file);
   * min/max/sum drop it and combine; mostrecent keeps the value with the largest timestamp, and a
   * slot never given a timestamp above 0 emits nothing. A slot no source touched in this scrape
   * emits nothing, so the series of a deleted file disappear. Gauge files also hold info and
   * state set families, told apart by their keys (familyType): they merge as the file's gauge
   * mode says; an info sample merged to 0 (a label set its process replaced) emits nothing.
   * A summed slot holds its exact sum (ExactSum): values[slot] + lows[slot], plus excess[slot]
   * in the rare case that two doubles cannot hold it; so the order in which files and the
   * archive are added never changes a total.
   */

  private final Map<String, Family> families = new HashMap<>();
  private final Map<EntryKey, Integer> pidFreeSlots = new IdentityHashMap<>();
  private List<Family> sorted = List.of();
  private boolean dirty;
  private int slots;
  private double[] values = new double[256];
  private double[] lows = new double[256];
  private BigDecimal[] excess;
  private double[] timestamps = new double[256];
  private boolean[] seen = new boolean[256];
  private MergeRule[] rules = new MergeRule[256];
  private int seenCount;

  /** Number of slots. */
  int size() {
    return slots;
  }

  /** Slots given a value in this scrape. */
  int seenCount() {
    return seenCount;
  }

  /**
   * The slot for entry {@code key} of a file of {@code type} ({@code rule} its merge rule, {@code
   * pid} the file ID), created on first sight; -1 when the entry's family already exists with
   * another type or merge rule (prometheus_client would mix them; we keep the first).
   */
  int slotFor(MetricType fileType, MergeRule rule, String pid, EntryKey key) {
    MetricType type = familyType(fileType, key);
    if (rule == MergeRule.ALL) {
      return newOrKnownSlot(type, rule, pid, key);
    }
    // Keys are shared by the files that hold them, and without a pid label their slot is too.
    Integer known = pidFreeSlots.get(key);
    if (known != null && known >= 0 && sameKind(key, type, rule)) {
      return known;
    }
    int slot = newOrKnownSlot(type, rule, pid, key);
    if (slot >= 0 && (known == null || known < 0)) {
      pidFreeSlots.put(key, slot);
    }
    return slot;
  }

  /**
   * The family type of an entry of a file of {@code fileType}: in a gauge file, an entry whose
   * sample is {@code NAME_info} is an info metric, and one with a label named as its family a
   * state set.
   */
  static MetricType familyType(MetricType fileType, EntryKey key) {
    if (fileType != MetricType.GAUGE) {
      return fileType;
    }
    if (!key.sampleName().equals(key.metricName())) {
      return MetricType.INFO;
    }
    return key.labels().get(key.metricName()) != null ? MetricType.STATESET : MetricType.GAUGE;
  }

  private boolean sameKind(EntryKey key, MetricType type, MergeRule rule) {
    Family f = families.get(key.metricName());
    return f != null && f.type == type && f.rule == rule;
  }

  private int newOrKnownSlot(MetricType type, MergeRule rule, String pid, EntryKey key) {
    Family family = families.get(key.metricName());
    if (family == null) {
      family = new Family(key.metricName(), type, rule, key.help());
      families.put(family.name, family);
      dirty = true;
    } else if (family.type != type || family.rule != rule) {
      return -1;
    }
    Labels labels = key.labels();
    if (rule == MergeRule.ALL) {
      labels = labels.with("pid", pid);
    }
    if (key.isBucket()) {
      labels = labels.without("le");
    }
    Group group = family.groups.get(labels.exposition());
    if (group == null) {
      group = new Group(labels);
      family.groups.put(labels.exposition(), group);
      family.dirty = true;
      dirty = true;
    }
    if (key.isBucket()) {
      int buckets = group.buckets;
      int slot = group.bucketSlot(key.bucketBound(), this);
      if (group.buckets != buckets) {
        family.dirty = true; // its lines change
      }
      return slot;
    }
    if (type != MetricType.HISTOGRAM && type != MetricType.SUMMARY) {
      if (group.valueSlot < 0) {
        group.valueSlot = newSlot(rule);
      }
      return group.valueSlot;
    }
    if (key.sampleName().equals(family.sumName)) {
      if (group.sumSlot < 0) {
        group.sumSlot = newSlot(MergeRule.SUM);
      }
      return group.sumSlot;
    }
    if (group.countSlot < 0) {
      group.countSlot = newSlot(MergeRule.SUM);
    }
    return group.countSlot;
  }

  private int newSlot(MergeRule rule) {
    if (slots == values.length) {
      int n = slots * 2;
      values = Arrays.copyOf(values, n);
      lows = Arrays.copyOf(lows, n);
      excess = excess == null ? null : Arrays.copyOf(excess, n);
      timestamps = Arrays.copyOf(timestamps, n);
      seen = Arrays.copyOf(seen, n);
      rules = Arrays.copyOf(rules, n);
    }
    rules[slots] = rule;
    return slots++;
  }

  /** Forgets the previous scrape's values. */
  void beginScrape() {
    Arrays.fill(values, 0, slots, 0.0);
    Arrays.fill(lows, 0, slots, 0.0);
    excess = null;
    Arrays.fill(timestamps, 0, slots, 0.0);
    Arrays.fill(seen, 0, slots, false);
    seenCount = 0;
  }

  /** Combines one entry's value (and timestamp) into {@code slot} by the slot's rule. */
  void add(int slot, double value, double timestamp) {
    boolean first = !seen[slot];
    MergeRule rule = rules[slot];
    if (rule == MergeRule.MOSTRECENT) {
      if (!MergeRule.isNewer(timestamp, timestamps[slot])) {
        return;
      }
      values[slot] = value;
      timestamps[slot] = timestamp;
    } else if (rule == MergeRule.SUM) { // a sum starts at 0.0, as Python's does
      double rest = ExactSum.add(values, lows, slot, value);
      if (rest != 0) {
        addExcess(slot, rest);
      }
    } else if (first) {
      values[slot] = value;
    } else {
      values[slot] = rule.combine(values[slot], value);
    }
    if (first) {
      seen[slot] = true;
      seenCount++;
    }
  }

  private void addExcess(int slot, double rest) {
    if (excess == null) {
      excess = new BigDecimal[values.length];
    }
    BigDecimal r = new BigDecimal(rest);
    excess[slot] = excess[slot] == null ? r : excess[slot].add(r);
  }

  /** The merged value of {@code slot} in this scrape. */
  private double value(int slot) {
    if (excess == null || excess[slot] == null || !Double.isFinite(values[slot])) {
      return values[slot];
    }
    return new BigDecimal(values[slot]).add(new BigDecimal(lows[slot])).add(excess[slot])
        .doubleValue();
  }

  /** True when a family of this name exists. */
  boolean hasFamily(String name) {
    return families.containsKey(name);
  }

  /** Builds this scrape's families, sorted by name; each family's groups sorted by labels. */
  List<MetricFamilySnapshot> snapshot(InvalidFamilyHandler onInvalid) {
    if (dirty) {
      List<Family> list = new ArrayList<>(families.values());
      list.sort(Comparator.comparing(f -> f.name));
      sorted = list;
      dirty = false;
    }
    List<MetricFamilySnapshot> out = new ArrayList<>(sorted.size());
    for (Family f : sorted) {
      f.refresh();
      if (f.invalid != null) {
        if (f.anySeen(this)) {
          onInvalid.invalid(f.name, f.invalid);
        }
        continue;
      }
      SampleLines lines = f.lines(this);
      if (lines.size() == 0) {
        continue;
      }
      try {
        out.add(new MetricFamilySnapshot(f.name, f.type, f.help, lines));
      } catch (IllegalArgumentException e) {
        onInvalid.invalid(f.name, e.getMessage());
      }
    }
    return out;
  }

  /** Told about a family left out of a snapshot because it failed validation. */
  interface InvalidFamilyHandler {
    void invalid(String family, String reason);
  }

  private static final class Family {
    final String name;
    final MetricType type;
    final MergeRule rule;
    final String help;
    final String totalName;
    final String infoName;
    final String bucketName;
    final String sumName;
    final String countName;
    final Map<String, Group> groups = new HashMap<>();
    Group[] sortedGroups = new Group[0];
    /** Its groups or their buckets changed: sort and build the lines again. */
    boolean dirty;
    SampleLines.Table table;
    /** Why the table does not fit the family (it is left out), or null. */
    String invalid;

    Family(String name, MetricType type, MergeRule rule, String help) {
      this.name = name;
      this.type = type;
      this.rule = rule;
      this.help = help;
      this.totalName = name + "_total";
      this.infoName = name + "_info";
      this.bucketName = name + "_bucket";
      this.sumName = name + "_sum";
      this.countName = name + "_count";
    }

    /** Sorts the groups and builds the table again when they changed. */
    void refresh() {
      if (dirty) {
        sortedGroups = groups.values().toArray(new Group[0]);
        // A state set's series with the same other labels are one OpenMetrics point: together.
        Arrays.sort(sortedGroups, type == MetricType.STATESET
            ? Comparator.comparing((Group g) -> g.labels.without(name).exposition())
                .thenComparing(g -> g.labels.get(name))
            : Comparator.comparing(g -> g.labels.exposition()));
        buildTable();
        dirty = false;
      }
    }

    /** True when a slot of this family was given a value in this scrape. */
    boolean anySeen(SeriesTable t) {
      for (Group g : sortedGroups) {
        if (g.valueSlot >= 0 && t.seen[g.valueSlot] || g.sumSlot >= 0 && t.seen[g.sumSlot]
            || g.countSlot >= 0 && t.seen[g.countSlot]) {
          return true;
        }
        for (int i = 0; i < g.buckets; i++) {
          if (t.seen[g.bucketSlots[i]]) {
            return true;
          }
        }
      }
      return false;
    }

    /** This scrape's lines: the groups' seen slots, histogram buckets made cumulative. */
    SampleLines lines(SeriesTable t) {
      int[] lines = new int[table.size()];
      double[] values = new double[table.size()];
      int n = 0;
      for (Group g : sortedGroups) {
        int line = g.firstLine;
        switch (type) {
          case COUNTER:
          case GAUGE:
          case STATESET:
            n = emit(t, lines, values, n, line, g.valueSlot);
            break;
          case INFO:
            if (g.valueSlot >= 0 && t.value(g.valueSlot) != 0) {
              n = emit(t, lines, values, n, line, g.valueSlot);
            }
            break;
          case SUMMARY:
            n = emit(t, lines, values, n, line, g.countSlot);
            n = emit(t, lines, values, n, line + 1, g.sumSlot);
            break;
          default:
            n = histogram(t, lines, values, n, g);
        }
      }
      return new SampleLines(table, lines, values, n);
    }

    /**
     * The lines of each group in order: counter, gauge, state set, info: one; summary: _count,
     * _sum; histogram: each bucket, a +Inf bucket when no bound is +Inf, _count, _sum.
     */
    private void buildTable() {
      List<String> names = new ArrayList<>();
      List<Labels> labels = new ArrayList<>();
      for (Group g : sortedGroups) {
        g.firstLine = names.size();
        switch (type) {
          case COUNTER:
            line(names, labels, totalName, g.labels);
            break;
          case GAUGE:
          case STATESET:
            line(names, labels, name, g.labels);
            break;
          case INFO:
            line(names, labels, infoName, g.labels);
            break;
          case SUMMARY:
            line(names, labels, countName, g.labels);
            line(names, labels, sumName, g.labels);
            break;
          default:
            for (int i = 0; i < g.buckets; i++) {
              line(names, labels, bucketName, g.bucketLabels[i]);
            }
            if (g.buckets > 0 && !g.endsInf()) {
              // Never written by prometheus_client; without it the exposition would be invalid.
              line(names, labels, bucketName, g.labels.with("le", "+Inf"));
            }
            line(names, labels, countName, g.labels);
            line(names, labels, sumName, g.labels);
        }
      }
      try {
        table = SampleLines.Table.of(name, type, names, labels);
        invalid = null;
      } catch (IllegalArgumentException e) { // the family is left out while it lasts
        table = null;
        invalid = e.getMessage();
      }
    }

    private static void line(List<String> names, List<Labels> labels, String name, Labels l) {
      names.add(name);
      labels.add(l);
    }

    private int histogram(SeriesTable t, int[] lines, double[] values, int n, Group g) {
      double acc = 0;
      boolean any = false;
      boolean endsInf = false;
      for (int i = 0; i < g.buckets; i++) {
        int slot = g.bucketSlots[i];
        if (t.seen[slot]) {
          acc += t.value(slot);
          lines[n] = g.firstLine + i;
          values[n++] = acc;
          any = true;
          endsInf = g.bounds[i] == Double.POSITIVE_INFINITY;
        }
      }
      int count = g.firstLine + g.buckets + (g.buckets > 0 && !g.endsInf() ? 1 : 0);
      if (any) {
        if (!endsInf) { // the +Inf bucket's line, or the one added for the missing bound
          lines[n] = g.endsInf() ? g.firstLine + g.buckets - 1 : count - 1;
          values[n++] = acc;
        }
        lines[n] = count;
        values[n++] = acc;
      } else {
        n = emit(t, lines, values, n, count, g.countSlot);
      }
      return emit(t, lines, values, n, count + 1, g.sumSlot);
    }

    private static int emit(SeriesTable t, int[] lines, double[] values, int n, int line,
        int slot) {
      if (slot >= 0 && t.seen[slot]) {
        lines[n] = line;
        values[n++] = t.value(slot);
      }
      return n;
    }
  }

  private static final double[] NO_BOUNDS = new double[0];
  private static final int[] NO_SLOTS = new int[0];
  private static final Labels[] NO_LABELS = new Labels[0];

  private static final class Group {
    final Labels labels;
    int valueSlot = -1;
    int sumSlot = -1;
    int countSlot = -1;
    int buckets;
    // Shared empty arrays: most groups are not histograms, and three objects per series add up.
    double[] bounds = NO_BOUNDS;
    int[] bucketSlots = NO_SLOTS;
    Labels[] bucketLabels = NO_LABELS;
    /** Its first line in its family's table. */
    int firstLine;

    Group(Labels labels) {
      this.labels = labels;
    }

    boolean endsInf() {
      return buckets > 0 && bounds[buckets - 1] == Double.POSITIVE_INFINITY;
    }

    int bucketSlot(double bound, SeriesTable t) {
      int at = Arrays.binarySearch(bounds, 0, buckets, bound);
      if (at >= 0) {
        return bucketSlots[at];
      }
      int ins = -at - 1;
      int slot = t.newSlot(MergeRule.SUM);
      bounds = insert(bounds, ins, bound);
      bucketSlots = insert(bucketSlots, ins, slot);
      Labels[] l = new Labels[buckets + 1];
      System.arraycopy(bucketLabels, 0, l, 0, ins);
      l[ins] = labels.with("le", FloatFormat.format(bound));
      System.arraycopy(bucketLabels, ins, l, ins + 1, buckets - ins);
      bucketLabels = l;
      buckets++;
      return slot;
    }

    private double[] insert(double[] a, int at, double v) {
      double[] r = new double[buckets + 1];
      System.arraycopy(a, 0, r, 0, at);
      r[at] = v;
      System.arraycopy(a, at, r, at + 1, buckets - at);
      return r;
    }

    private int[] insert(int[] a, int at, int v) {
      int[] r = new int[buckets + 1];
      System.arraycopy(a, 0, r, 0, at);
      r[at] = v;
      System.arraycopy(a, at, r, at + 1, buckets - at);
      return r;
    }
  }
}
