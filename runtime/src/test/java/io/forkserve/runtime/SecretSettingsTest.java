package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the API key may come from, what is refused, and what /info may show (issue 14, #9). */
class SecretSettingsTest {
  @TempDir Path dir;

  @Test
  void anEmptyKeyIsRefusedWithOneLine() {
    for (Map<String, String> env :
        List.of(Map.of("FORKSERVE_API_KEY", ""), Map.of("FORKSERVE_API_KEY", "  "))) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> Settings.parse(new String[0], env));
      assertTrue(e.getMessage().contains("is empty"), e.getMessage());
      assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--api-key", ""}, Map.of()));
  }

  @Test
  void theKeyIsReadFromAFileWithoutItsLineEnd() throws IOException {
    Path file = Files.writeString(dir.resolve("key"), "s3cret\n");
    Settings s = Settings.parse(new String[] {"--api-key-file", file.toString()}, Map.of());
    assertEquals("s3cret", s.apiKey);
    assertEquals(List.of(), s.warnings, "a file is the recommended way");
    assertEquals("(set)", s.shown().get("api-key"));
    assertFalse(s.shown().toString().contains("s3cret"));
    assertTrue(Settings.SECRETS.contains("api-key-file"), "not passed to workers");
  }

  @Test
  void anEmptyOrMissingKeyFileAndTwoSourcesAreRefused() throws IOException {
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--api-key-file", empty.toString()}, Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--api-key-file", dir + "/absent"}, Map.of()));
    Path file = Files.writeString(dir.resolve("key"), "k");
    IllegalArgumentException both =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                Settings.parse(
                    new String[] {"--api-key-file", file.toString()},
                    Map.of("FORKSERVE_API_KEY", "k2")));
    assertTrue(both.getMessage().contains("not both"), both.getMessage());
  }

  @Test
  void aSecretOnTheCommandLineIsAcceptedWithAWarningAndFromTheEnvironmentWithout() {
    Settings flag =
        Settings.parse(new String[] {"--api-key", "k", "--admin-token", "t"}, Map.of());
    assertEquals(2, flag.warnings.size(), flag.warnings::toString);
    assertTrue(flag.warnings.get(0).contains("FORKSERVE_API_KEY"), flag.warnings::toString);
    assertTrue(flag.warnings.get(0).contains("--api-key-file"), flag.warnings::toString);
    Settings env = Settings.parse(new String[0], Map.of("FORKSERVE_API_KEY", "k"));
    assertEquals("k", env.apiKey);
    assertEquals(List.of(), env.warnings);
  }

  @Test
  void infoShowsHowManyJvmOptionsNotWhichOnes() {
    Settings s =
        Settings.parse(
            new String[] {"--worker-jvm-opts", "-Xmx1g -Ddb.password=hunter2"}, Map.of());
    assertEquals("(2 options, not shown)", s.shown().get("worker-jvm-opts"));
    assertFalse(s.shown().toString().contains("hunter2"));
  }

  @Test
  void theStartTimeoutHasADefaultAndMustBePositive() {
    assertEquals(300_000_000_000L, Settings.parse(new String[0], Map.of()).workerStartTimeoutNanos);
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--worker-start-timeout", "0"}, Map.of()));
  }
}
