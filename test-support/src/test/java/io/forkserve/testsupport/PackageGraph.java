package io.forkserve.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The package graph of Java sources: an edge from each file's package to every {@code
 * io.forkserve} package it names, by import (static ones too) or by a qualified name in its code
 * (not in comments or strings). Read from sources rather than class files so that inlined
 * constants count too.
 */
final class PackageGraph {
  private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;");
  /** Comments and string and char literals: a class named in a string is no package edge. */
  private static final Pattern NOT_CODE =
      Pattern.compile(
          String.join(
              "|",
              "(?s)/\\*.*?\\*/",
              "//[^\n]*",
              "\"\"\".*?\"\"\"",
              "\"(?:\\\\.|[^\"\\\\\n])*\"",
              "'(?:\\\\.|[^'\\\\\n])*'"));

  /** A qualified {@code io.forkserve} name: the package, then the first capitalised part. */
  private static final Pattern REFERENCE =
      Pattern.compile("\\b(io\\.forkserve(?:\\.[a-z_][a-z0-9_]*)*)\\.(?:[A-Z]\\w*|\\*)");

  /** Package -> the other packages it depends on, both sorted. */
  final Map<String, Set<String>> edges = new TreeMap<>();

  /** Adds the sources of one file. */
  void add(String source) {
    Matcher pkg = PACKAGE.matcher(source);
    if (!pkg.find()) {
      return; // the default package names nothing of ours
    }
    String from = pkg.group(1);
    Set<String> to = edges.computeIfAbsent(from, k -> new TreeSet<>());
    Matcher ref = REFERENCE.matcher(code(source));
    while (ref.find()) {
      if (!ref.group(1).equals(from)) {
        to.add(ref.group(1));
      }
    }
  }

  /** {@code source} with its comments and string and char literals blanked out. */
  static String code(String source) {
    return NOT_CODE.matcher(source).replaceAll(" ");
  }

  /** Adds every {@code .java} file below {@code dir}. */
  void addTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.toString().endsWith(".java")) {
          add(Files.readString(f));
        }
      }
    }
  }

  /**
   * The groups of packages that depend on each other (strongly connected components of more than
   * one package, or one that names itself), each sorted; empty when the graph has no cycle.
   */
  List<Set<String>> cycles() {
    Map<String, Integer> index = new HashMap<>();
    Map<String, Integer> low = new HashMap<>();
    Deque<String> stack = new ArrayDeque<>();
    Set<String> onStack = new TreeSet<>();
    List<Set<String>> result = new ArrayList<>();
    for (String p : edges.keySet()) {
      if (!index.containsKey(p)) {
        connect(p, index, low, stack, onStack, result);
      }
    }
    return result;
  }

  /** Tarjan's strongly connected components, from {@code p}. */
  private void connect(
      String p,
      Map<String, Integer> index,
      Map<String, Integer> low,
      Deque<String> stack,
      Set<String> onStack,
      List<Set<String>> result) {
    index.put(p, index.size());
    low.put(p, index.get(p));
    stack.push(p);
    onStack.add(p);
    for (String q : edges.getOrDefault(p, Set.of())) {
      if (!index.containsKey(q)) {
        connect(q, index, low, stack, onStack, result);
        low.put(p, Math.min(low.get(p), low.get(q)));
      } else if (onStack.contains(q)) {
        low.put(p, Math.min(low.get(p), index.get(q)));
      }
    }
    if (low.get(p).equals(index.get(p))) {
      Set<String> group = new TreeSet<>();
      String q;
      do {
        q = stack.pop();
        onStack.remove(q);
        group.add(q);
      } while (!q.equals(p));
      if (group.size() > 1) {
        result.add(group);
      }
    }
  }
}
