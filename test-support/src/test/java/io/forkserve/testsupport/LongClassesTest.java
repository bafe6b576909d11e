package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * A main class over ~500 lines says in its header comment why it stays one class (issue 9,
 * common rules): the sentence starts {@code Why one class}.
 */
class LongClassesTest {
  static final int LIMIT = 500;
  private static final Pattern DECLARATION =
      Pattern.compile("(?m)^(public |abstract |final |sealed )*(class|interface|enum|record) ");

  @Test
  void mainClassesOverTheLimit_sayWhyTheyStayOneClass() throws Exception {
    Set<String> unexplained = new TreeSet<>();
    int files = 0;
    Path root = Fixtures.projectRoot();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path main : (Iterable<Path>) modules.map(m -> m.resolve("src/main/java"))::iterator) {
        if (!Files.isDirectory(main)) {
          continue;
        }
        try (Stream<Path> all = Files.walk(main)) {
          for (Path f : (Iterable<Path>) all::iterator) {
            if (f.toString().endsWith(".java")) {
              files++;
              if (!explained(Files.readString(f))) {
                unexplained.add(root.relativize(f).toString());
              }
            }
          }
        }
      }
    }
    assertTrue(files > 100, "read " + files + " files");
    assertEquals(Set.of(), unexplained, "over " + LIMIT + " lines with no \"Why one class\"");
  }

  @Test
  void theRule_readsTheHeaderOnly() {
    String body = "  int x;\n".repeat(LIMIT);
    assertTrue(explained("/** Small. */\nfinal class A {\n}\n"));
    assertTrue(explained("/**\n * A.\n *\n * <p>Why one class: one lock.\n */\nclass A {\n" + body));
    assertFalse(explained("/** A. */\nclass A {\n  // Why one class: no\n" + body));
    assertFalse(explained("/** A. */\npublic final class A {\n" + body));
  }

  /** Short enough, or its text before the type's declaration says why it is not. */
  static boolean explained(String text) {
    if (text.lines().count() <= LIMIT) {
      return true;
    }
    Matcher m = DECLARATION.matcher(text);
    return m.find() && text.substring(0, m.start()).contains("Why one class");
  }
}
