package io.forkserve.examples;

import java.util.ArrayList;
import java.util.List;

/**
 * The fenced code blocks of one Markdown page, with what the documentation test does with each.
 *
 * <p>A block opens with a line whose text (after indentation) starts with three backticks and a
 * language, and closes with a line of three backticks alone. {@code sh} and {@code bash} blocks
 * are commands the test runs, unless the language is followed by {@code no-test}; every other
 * language ({@code text}, {@code java}, {@code xml}) is for reading. An opening fence without a
 * language is an error: the test cannot tell output from commands.
 */
final class ShellBlocks {
  /** One fenced block: its first line (1-based), its language and its text without the fence. */
  record Block(int line, String language, boolean noTest, String text) {
    boolean isShell() {
      return language.equals("sh") || language.equals("bash");
    }

    boolean runs() {
      return isShell() && !noTest;
    }
  }

  private ShellBlocks() {}

  static List<Block> parse(String markdown) {
    List<Block> blocks = new ArrayList<>();
    String[] lines = markdown.split("\n", -1);
    int i = 0;
    while (i < lines.length) {
      String trimmed = lines[i].strip();
      if (!trimmed.startsWith("```")) {
        i++;
        continue;
      }
      int open = i;
      String indent = lines[i].substring(0, lines[i].indexOf('`'));
      String[] info = trimmed.substring(3).strip().split("\\s+");
      if (info[0].isEmpty()) {
        throw new IllegalArgumentException(
            "line " + (open + 1) + ": a code fence without a language (use sh, text, java, ...)");
      }
      StringBuilder text = new StringBuilder();
      i++;
      while (i < lines.length && !lines[i].strip().equals("```")) {
        String line = lines[i];
        text.append(line.startsWith(indent) ? line.substring(indent.length()) : line).append('\n');
        i++;
      }
      if (i == lines.length) {
        throw new IllegalArgumentException("line " + (open + 1) + ": code fence never closed");
      }
      boolean noTest = List.of(info).subList(1, info.length).contains("no-test");
      blocks.add(new Block(open + 1, info[0], noTest, text.toString()));
      i++;
    }
    return blocks;
  }

  /**
   * One bash script running the page's runnable blocks in order, in one shell (a server started
   * with {@code &} in one block is there for the next), stopping at the first failing command.
   * Each block first prints a marker line to stderr, so a failure names its block.
   */
  static String script(List<Block> blocks) {
    StringBuilder script = new StringBuilder("set -eo pipefail\n");
    for (Block block : blocks) {
      if (block.runs()) {
        script.append("echo '").append(marker(block)).append("' >&2\n").append(block.text());
      }
    }
    return script.toString();
  }

  static String marker(Block block) {
    return "::docs block at line " + block.line();
  }
}
