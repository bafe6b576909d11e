package io.forkserve.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API of metrics-store: every public type outside {@code .internal} packages,
 * nested ones included. The surface grows deliberately: adding or removing a public type means
 * editing {@link #API} here, in the same commit (issue 9; STYLE.md item 2).
 */
class PublicApiTest {
  /** The public types, by canonical name, sorted. */
  private static final List<String> API = List.of(
      "io.forkserve.metrics.Counter",
      "io.forkserve.metrics.Counter.Builder",
      "io.forkserve.metrics.Counter.Child",
      "io.forkserve.metrics.ExemplarLabels",
      "io.forkserve.metrics.Gauge",
      "io.forkserve.metrics.Gauge.Builder",
      "io.forkserve.metrics.Gauge.Child",
      "io.forkserve.metrics.GaugeMode",
      "io.forkserve.metrics.Histogram",
      "io.forkserve.metrics.Histogram.Builder",
      "io.forkserve.metrics.Histogram.Child",
      "io.forkserve.metrics.Info",
      "io.forkserve.metrics.Info.Builder",
      "io.forkserve.metrics.MetricsRegistry",
      "io.forkserve.metrics.MetricsRegistry.Builder",
      "io.forkserve.metrics.StateSet",
      "io.forkserve.metrics.StateSet.Builder",
      "io.forkserve.metrics.StateSet.Child",
      "io.forkserve.metrics.Summary",
      "io.forkserve.metrics.Summary.Builder",
      "io.forkserve.metrics.Summary.Child",
      "io.forkserve.metrics.archive.ArchiveContents",
      "io.forkserve.metrics.archive.ArchiveContents.Fold",
      "io.forkserve.metrics.archive.ArchiveContents.Series",
      "io.forkserve.metrics.archive.FoldResult",
      "io.forkserve.metrics.archive.MetricsArchive",
      "io.forkserve.metrics.directory.MultiprocDirectory",
      "io.forkserve.metrics.directory.MultiprocDirectoryException",
      "io.forkserve.metrics.exposition.Exposition",
      "io.forkserve.metrics.exposition.ExpositionFormat",
      "io.forkserve.metrics.exposition.MetricsResponse",
      "io.forkserve.metrics.file.FormatVersion",
      "io.forkserve.metrics.merge.DirectoryScraper",
      "io.forkserve.metrics.merge.MergeSource",
      "io.forkserve.metrics.merge.MergeSource.EntrySink",
      "io.forkserve.metrics.model.Exemplar",
      "io.forkserve.metrics.model.Labels",
      "io.forkserve.metrics.model.MetricFamilySnapshot",
      "io.forkserve.metrics.model.MetricSnapshots",
      "io.forkserve.metrics.model.MetricType",
      "io.forkserve.metrics.model.Sample",
      "io.forkserve.metrics.model.SampleLines",
      "io.forkserve.metrics.model.SampleLines.Table");

  @Test
  void publicTypesOutsideInternal_areTheListedApi() throws Exception {
    Set<String> found = publicTypes();
    Set<String> added = new TreeSet<>(found);
    API.forEach(added::remove);
    Set<String> removed = new TreeSet<>(API);
    removed.removeAll(found);
    assertEquals(Set.of(), added, "new public types: make them package-private, move them to "
        + ".internal, or add them to PublicApiTest.API on purpose");
    assertEquals(Set.of(), removed, "public types gone: remove them from PublicApiTest.API");
  }

  @Test
  void publicSignaturesOfTheApi_nameNoInternalType() throws Exception {
    Set<String> leaks = new TreeSet<>();
    ClassLoader loader = PublicApiTest.class.getClassLoader();
    for (String name : publicTypes()) {
      Class<?> type = Class.forName(binaryName(name), false, loader);
      List<String> members = new ArrayList<>();
      for (Method m : type.getDeclaredMethods()) {
        if (exposed(m.getModifiers()) && !m.isSynthetic()) {
          members.add(m.toGenericString());
        }
      }
      for (Constructor<?> c : type.getDeclaredConstructors()) {
        if (exposed(c.getModifiers())) {
          members.add(c.toGenericString());
        }
      }
      for (Field f : type.getDeclaredFields()) {
        if (exposed(f.getModifiers())) {
          members.add(f.toGenericString());
        }
      }
      members.add(type.getGenericSuperclass() + " " + List.of(type.getGenericInterfaces()));
      for (String member : members) {
        if (member.contains(".internal.")) {
          leaks.add(name + ": " + member);
        }
      }
    }
    assertEquals(Set.of(), leaks, "public API naming .internal types: users could not call it");
  }

  @Test
  void apiList_isSorted() {
    assertEquals(List.copyOf(new TreeSet<>(API)), API);
  }

  /** Canonical names of the public, non-internal types among the compiled main classes. */
  private static Set<String> publicTypes()
      throws IOException, URISyntaxException, ClassNotFoundException {
    Path classes =
        Path.of(Counter.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    assertTrue(Files.isDirectory(classes.resolve("io/forkserve/metrics")), classes.toString());
    List<String> names;
    try (Stream<Path> s = Files.walk(classes)) {
      names = s.map(p -> classes.relativize(p).toString())
          .filter(n -> n.endsWith(".class") && !n.endsWith("package-info.class"))
          .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.'))
          .filter(n -> !n.contains(".internal."))
          .toList();
    }
    Set<String> result = new TreeSet<>();
    ClassLoader loader = PublicApiTest.class.getClassLoader();
    for (String name : names) {
      Class<?> type = Class.forName(name, false, loader);
      if (!type.isAnonymousClass() && !type.isLocalClass() && !type.isSynthetic()
          && visible(type)) {
        result.add(type.getCanonicalName());
      }
    }
    assertTrue(result.contains(Counter.class.getCanonicalName()), "scan found " + result);
    return result;
  }

  /** Public or protected: callable or overridable from outside. */
  private static boolean exposed(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  /** {@code a.B.C} as the class loader names it, {@code a.B$C}. */
  private static String binaryName(String canonical) {
    String[] parts = canonical.split("\\.");
    StringBuilder out = new StringBuilder();
    for (int i = 0; i < parts.length; i++) {
      boolean nested = i > 0 && Character.isUpperCase(parts[i - 1].charAt(0));
      out.append(i == 0 ? "" : nested ? "$" : ".").append(parts[i]);
    }
    return out.toString();
  }

  /** Public, and so is every class it is nested in. */
  private static boolean visible(Class<?> type) {
    for (Class<?> c = type; c != null; c = c.getEnclosingClass()) {
      if (!Modifier.isPublic(c.getModifiers())) {
        return false;
      }
    }
    return true;
  }
}
