package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsTest {
  @Test
  void durationsTakeUnitsAndBareMilliseconds() {
    assertEquals(250_000_000L, Settings.parseDuration("timeout", "250ms"));
    assertEquals(5_000_000_000L, Settings.parseDuration("timeout", "5s"));
    assertEquals(60_000_000_000L, Settings.parseDuration("timeout", "1m"));
    assertEquals(40_000_000L, Settings.parseDuration("timeout", "40"));
    assertEquals(1_500_000_000L, Settings.parseDuration("timeout", "1.5s"));
  }

  @Test
  void sizesTakeUnitsAndBareBytes() {
    assertEquals(10_000_000L, Settings.parseSize("max-payload", "10MB"));
    assertEquals(512 * 1024L, Settings.parseSize("max-payload", "512KiB"));
    assertEquals(4000L, Settings.parseSize("max-payload", "4kb"));
    assertEquals(123L, Settings.parseSize("max-payload", "123"));
  }

  @Test
  void flagsOverrideEnvironmentWhichOverridesDefaults() {
    Settings s =
        Settings.parse(
            new String[] {"--workers", "3", "--timeout=2s"},
            Map.of("FORKSERVE_WORKERS", "5", "FORKSERVE_MAX_BATCH_SIZE", "8"));
    assertEquals(3, s.workers);
    assertEquals(8, s.maxBatchSize);
    assertEquals(2_000_000_000L, s.timeoutNanos);
    assertEquals("/predict", s.apiPath);
  }

  @Test
  void devicesAreNamedAndNumbersMeanCuda() {
    assertEquals(List.of("cuda:0", "cuda:1"), Settings.devices("0,1"));
    assertEquals(List.of("cpu"), Settings.devices("cpu"));
  }

  @Test
  void wrongValuesGiveOneLineNamingTheFlag() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.parse(new String[] {"--batch-timeout", "soon"}, Map.of()));
    assertTrue(e.getMessage().startsWith("--batch-timeout must be a duration"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--workers", "0"}, Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--nope", "1"}, Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--api-path", "predict"}, Map.of()));
  }

  @Test
  void theApiKeyIsNeverShown() {
    Settings s = Settings.parse(new String[] {"--api-key", "hunter2"}, Map.of());
    assertEquals("(set)", s.visible().get("api-key"));
    assertTrue(!s.visible().toString().contains("hunter2"));
  }
}
