package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.metrics.file.FormatVersion;
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
  void theFileLimitDefaultsToThePayloadLimitAndNeverExceedsIt() {
    Settings plain = Settings.parse(new String[] {"--max-payload", "2MB"}, Map.of());
    assertEquals(2_000_000L, plain.maxFileBytes);
    Settings smaller =
        Settings.parse(new String[] {"--max-payload", "2MB", "--max-file-size", "64KB"}, Map.of());
    assertEquals(64_000L, smaller.maxFileBytes);
    Settings larger =
        Settings.parse(new String[] {"--max-payload", "2MB", "--max-file-size", "1GB"}, Map.of());
    assertEquals(2_000_000L, larger.maxFileBytes);
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--max-file-size", "big"}, Map.of()));
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

  @Test
  void theAdminTokenIsNeverShownAndComesFromTheEnvironment() {
    Settings s = Settings.parse(new String[0], Map.of("FORKSERVE_ADMIN_TOKEN", "t0ken"));
    assertEquals("t0ken", s.adminToken);
    assertEquals("(set)", s.visible().get("admin-token"));
    assertTrue(!s.visible().toString().contains("t0ken"));
    assertTrue(Settings.SECRETS.contains("admin-token"), "never passed to workers");
  }

  @Test
  void lifecycleFlagsHaveDefaultsAndLimits() {
    Settings s = Settings.parse(new String[0], Map.of());
    assertEquals(60_000_000_000L, s.workerTimeoutNanos);
    assertEquals(0, s.maxRequests);
    assertEquals(0, s.maxWorkerRssBytes);
    assertEquals(null, s.adminToken);
    Settings capped =
        Settings.parse(
            new String[] {"--restart-backoff", "2s", "--restart-backoff-max", "1s"}, Map.of());
    assertEquals(2_000_000_000L, capped.restartBackoffMaxNanos, "the cap is at least the base");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.parse(new String[] {"--worker-timeout", "0"}, Map.of()));
    assertEquals("--worker-timeout must be above 0", e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--crash-loop-restarts", "0"}, Map.of()));
    assertThrows(
        IllegalArgumentException.class,
        () -> Settings.parse(new String[] {"--max-requests", "-1"}, Map.of()));
  }

  @Test
  void drainDelayAndMinReadyWorkersHaveKubernetesDefaultsAndAreChecked() {
    Settings s = Settings.parse(new String[0], Map.of());
    assertEquals(5_000_000_000L, s.drainDelayNanos);
    assertEquals(1, s.minReadyWorkers);
    String[] args = {"--drain-delay", "0", "--workers", "3", "--min-ready-workers", "2"};
    Settings none = Settings.parse(args, Map.of());
    assertEquals(0, none.drainDelayNanos);
    assertEquals(2, none.minReadyWorkers);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.parse(new String[] {"--min-ready-workers", "2"}, Map.of()));
    assertEquals("--min-ready-workers (2) is above --workers (1)", e.getMessage());
  }

  @Test
  void metricsFormatIsV2UnlessV1IsAskedFor() {
    Map<String, String> none = Map.of();
    assertEquals(FormatVersion.V2, Settings.parse(new String[0], none).metricsFormat);
    Settings v1 = Settings.parse(new String[] {"--metrics-format", "V1"}, none);
    assertEquals(FormatVersion.V1, v1.metricsFormat);
    assertEquals("v1", v1.visible().get("metrics-format")); // what workers read
    assertEquals(
        FormatVersion.V1,
        Settings.parse(new String[0], Map.of("FORKSERVE_METRICS_FORMAT", "v1")).metricsFormat);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.parse(new String[] {"--metrics-format", "3"}, none));
    assertEquals("--metrics-format must be v1 or v2, not 3", e.getMessage());
  }

  @Test
  void jvmMetricsAreOnUnlessTurnedOffByEitherSpelling() {
    Map<String, String> none = Map.of();
    assertTrue(Settings.parse(new String[0], none).jvmMetrics);
    assertEquals("true", Settings.parse(new String[0], none).visible().get("jvm-metrics"));
    Settings off = Settings.parse(new String[] {"--no-jvm-metrics"}, none);
    assertEquals(false, off.jvmMetrics);
    assertEquals("false", off.visible().get("jvm-metrics")); // what workers read
    assertEquals(false, Settings.parse(new String[] {"--jvm-metrics", "FALSE"}, none).jvmMetrics);
    assertEquals(
        false,
        Settings.parse(new String[0], Map.of("FORKSERVE_JVM_METRICS", "false")).jvmMetrics);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Settings.parse(new String[] {"--jvm-metrics", "off"}, none));
    assertEquals("--jvm-metrics must be true or false, not off", e.getMessage());
  }
}
