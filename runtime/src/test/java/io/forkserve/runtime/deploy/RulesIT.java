package io.forkserve.runtime.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.forkserve.testsupport.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/prometheus: {@code promtool check rules} and {@code promtool test rules} pass, and the
 * unit tests cover every alert both firing and not firing.
 */
class RulesIT {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Duration LIMIT = Duration.ofMinutes(2);
  static final Path RULES = DeployTree.deploy("prometheus/forkserve-rules.yml");

  static String promtool() {
    Path promtool = Path.of("/usr/bin/promtool");
    assertTrue(
        Files.isExecutable(promtool),
        "promtool missing: bin/test installs it (Debian package prometheus)");
    return promtool.toString();
  }

  static List<Path> unitTests() throws IOException {
    try (Stream<Path> files = Files.list(DeployTree.deploy("prometheus/tests"))) {
      return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
    }
  }

  @Test
  void promtoolChecksTheRules() throws Exception {
    Processes.Result check =
        DeployTree.run(List.of(promtool(), "check", "rules", RULES.toString()), LIMIT);
    assertEquals(0, check.exit(), check.output());
    assertTrue(check.output().contains("SUCCESS"), check.output());
  }

  @Test
  void promtoolUnitTestsPass() throws Exception {
    List<String> command = new ArrayList<>(List.of(promtool(), "test", "rules"));
    unitTests().forEach(f -> command.add(f.toString()));
    assertTrue(command.size() > 3, "no unit tests under deploy/prometheus/tests");
    Processes.Result test = DeployTree.run(command, LIMIT);
    assertEquals(0, test.exit(), test.output());
    assertFalse(test.output().contains("FAILED"), test.output());
  }

  @Test
  void aWrongExpectationFailsPromtool(@TempDir Path tmp) throws Exception {
    String alerts = Files.readString(DeployTree.deploy("prometheus/tests/alerts_test.yml"));
    assertTrue(alerts.contains("queue 1000 deep"), "the test to break is gone");
    String wrong =
        alerts
            .replace("../forkserve-rules.yml", RULES.toString())
            .replace("queue 1000 deep", "queue 999 deep");
    Path test = Files.writeString(tmp.resolve("wrong_test.yml"), wrong);
    Processes.Result result =
        DeployTree.run(List.of(promtool(), "test", "rules", test.toString()), LIMIT);
    assertNotEquals(0, result.exit(), result.output());
    assertTrue(result.output().contains("ForkserveQueueSaturated"), result.output());
  }

  @Test
  void everyAlertHasARunbookAndIsTestedFiringAndNotFiring() throws Exception {
    Map<String, boolean[]> seen = new HashMap<>(); // alert -> {fired, silent}
    for (JsonNode group : YAML.readTree(RULES.toFile()).get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        if (rule.has("alert")) {
          String name = rule.get("alert").asText();
          String runbook = rule.path("annotations").path("runbook").asText("");
          assertFalse(runbook.isBlank(), name + " has no runbook annotation");
          assertFalse(runbook.contains("\n"), name + ": the runbook is one line");
          seen.put(name, new boolean[2]);
        }
      }
    }
    assertTrue(seen.size() >= 7, "alerts: " + seen.keySet());
    for (Path file : unitTests()) {
      for (JsonNode test : YAML.readTree(file.toFile()).get("tests")) {
        for (JsonNode check : test.path("alert_rule_test")) {
          boolean[] cases = seen.get(check.get("alertname").asText());
          assertTrue(cases != null, file + " tests an unknown alert " + check.get("alertname"));
          cases[check.path("exp_alerts").isEmpty() ? 1 : 0] = true;
        }
      }
    }
    seen.forEach(
        (alert, cases) -> {
          assertTrue(cases[0], alert + " has no unit test where it fires");
          assertTrue(cases[1], alert + " has no unit test where it stays silent");
        });
  }
}
