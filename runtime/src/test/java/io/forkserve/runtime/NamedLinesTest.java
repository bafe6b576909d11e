package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class NamedLinesTest {
  @Test
  void forkserveLinesNameTheApiAndOtherLinesPassAsTheyAre() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream target = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    PrintStream named = NamedLines.of(target, "echo");
    named.printf(Locale.ROOT, "forkserve: worker %d/%d ready%n", 1, 2);
    named.println("at some.Frame(Frame.java:1)");
    named.print("forkserve: no newline yet");
    named.println();
    assertEquals(
        "forkserve: [echo] worker 1/2 ready\n"
            + "at some.Frame(Frame.java:1)\n"
            + "forkserve: [echo] no newline yet\n",
        bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
  }
}
