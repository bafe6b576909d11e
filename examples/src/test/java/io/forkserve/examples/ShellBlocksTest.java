package io.forkserve.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ShellBlocksTest {
  @Test
  void shellBlocksRunUnlessMarkedNoTestAndOtherLanguagesAreForReading() {
    List<ShellBlocks.Block> blocks =
        ShellBlocks.parse(
            String.join(
                "\n",
                "# Page",
                "```sh",
                "echo one",
                "```",
                "```sh no-test",
                "bin/test",
                "```",
                "```text",
                "output",
                "```",
                "- item",
                "  ```bash",
                "  echo two",
                "  ```",
                ""));
    assertEquals(4, blocks.size());
    assertTrue(blocks.get(0).runs());
    assertFalse(blocks.get(1).runs());
    assertTrue(blocks.get(1).isShell());
    assertFalse(blocks.get(2).runs());
    assertEquals("echo two\n", blocks.get(3).text());
    assertEquals(12, blocks.get(3).line());
    assertEquals(
        "set -eo pipefail\n"
            + "echo '::docs block at line 2' >&2\necho one\n"
            + "echo '::docs block at line 12' >&2\necho two\n",
        ShellBlocks.script(blocks));
  }

  @Test
  void aFenceWithoutLanguageOrNeverClosedIsRefused() {
    IllegalArgumentException bare =
        assertThrows(IllegalArgumentException.class, () -> ShellBlocks.parse("```\nls\n```\n"));
    assertEquals(
        "line 1: a code fence without a language (use sh, text, java, ...)", bare.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ShellBlocks.parse("```sh\nls\n"));
  }
}
