package io.forkserve.runtime.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes: every manifest is valid against the Kubernetes API schemas and the Prometheus
 * Operator CRD schemas (validated offline by deploy/kubernetes/validator, installed by bin/test),
 * and the parts fit together: probes, drain timing, secrets, metrics directory, HPA metric.
 */
class ManifestsIT {
  static final Duration LIMIT = Duration.ofMinutes(2);
  static final Path DIR = DeployTree.deploy("kubernetes");
  static final Path VALIDATOR = DIR.resolve("validator");

  @BeforeAll
  static void validatorInstalled() throws Exception {
    String missing = null;
    if (DeployTree.run(List.of("sh", "-c", "command -v node"), LIMIT).exit() != 0) {
      missing = "node is not installed";
    } else if (!Files.isDirectory(VALIDATOR.resolve("node_modules/kubernetes-models"))) {
      missing = "its npm packages are not installed";
    }
    if (missing != null) {
      Tools.unavailable(
          "manifest validator missing: "
              + missing
              + " (bin/test installs it: npm ci --prefix deploy/kubernetes/validator)");
    }
  }

  static Processes.Result validate(Path... paths) throws Exception {
    List<String> command = new ArrayList<>(List.of("node", "validate.mjs"));
    for (Path p : paths) {
      command.add(p.toString());
    }
    return DeployTree.run(VALIDATOR, command, LIMIT);
  }

  static JsonNode manifest(String name) throws IOException {
    return RulesIT.YAML.readTree(DIR.resolve(name).toFile());
  }

  @Test
  void everyManifestIsValidAgainstTheSchemas() throws Exception {
    Processes.Result result = validate(DIR);
    assertEquals(0, result.exit(), result.output());
    for (String kind :
        List.of(
            "Deployment/forkserve",
            "Service/forkserve",
            "PodMonitor/forkserve",
            "HorizontalPodAutoscaler/forkserve",
            "ConfigMap/prometheus-adapter-forkserve")) {
      assertTrue(result.output().contains(" " + kind + "\n"), kind + " not validated: " + result);
    }
    assertFalse(result.output().contains("invalid"), result.output());
  }

  @Test
  void theValidatorRejectsSchemaErrorsInCoreAndOperatorKinds(@TempDir Path tmp) throws Exception {
    String deployment =
        Files.readString(DIR.resolve("deployment.yaml"))
            .replace("containerPort: 8000", "containerPort: \"eight thousand\"");
    String podMonitor =
        Files.readString(DIR.resolve("podmonitor.yaml")).replace("interval: 15s", "interval: 15");
    Files.writeString(tmp.resolve("deployment.yaml"), deployment);
    Files.writeString(tmp.resolve("podmonitor.yaml"), podMonitor);
    Files.writeString(
        tmp.resolve("unknown.yaml"),
        "apiVersion: example.com/v1\nkind: Widget\n" + "metadata:\n  name: w\n");
    Processes.Result result = validate(tmp);
    assertEquals(1, result.exit(), result.output());
    assertTrue(
        result
            .output()
            .contains(
                "invalid "
                    + tmp.resolve("deployment.yaml")
                    + " Deployment/forkserve:"
                    + " data/spec/template/spec/containers/0/ports/0/containerPort"),
        result.output());
    assertTrue(
        result
            .output()
            .contains("PodMonitor/forkserve: data/spec/podMetricsEndpoints/0/" + "interval"),
        result.output());
    assertTrue(result.output().contains("Widget/w: no schema"), result.output());
    Path empty = Files.createDirectory(tmp.resolve("empty"));
    assertEquals(2, validate(empty).exit(), "no manifests is an error");
  }

  static JsonNode container() throws IOException {
    JsonNode containers = manifest("deployment.yaml").at("/spec/template/spec/containers");
    assertEquals(1, containers.size());
    return containers.get(0);
  }

  static Map<String, JsonNode> env(JsonNode container) {
    Map<String, JsonNode> env = new HashMap<>();
    container.path("env").forEach(e -> env.put(e.get("name").asText(), e));
    return env;
  }

  @Test
  void probesPointAtTheHealthEndpoints() throws IOException {
    JsonNode c = container();
    assertEquals("/health/ready", c.at("/startupProbe/httpGet/path").asText());
    assertEquals("/health/ready", c.at("/readinessProbe/httpGet/path").asText());
    assertEquals("/health/live", c.at("/livenessProbe/httpGet/path").asText());
    for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
      assertEquals("http", c.at("/" + probe + "/httpGet/port").asText(), probe);
    }
  }

  @Test
  void theGracePeriodCoversPreStopDrainAndGracefulTimeout() throws IOException {
    JsonNode pod = manifest("deployment.yaml").at("/spec/template/spec");
    JsonNode c = container();
    int preStop = c.at("/lifecycle/preStop/sleep/seconds").asInt(-1);
    assertTrue(preStop > 0, "preStop sleep: " + c.path("lifecycle"));
    String graceful = env(c).get("FORKSERVE_GRACEFUL_TIMEOUT").get("value").asText();
    assertTrue(graceful.matches("\\d+s"), graceful);
    int gracefulSeconds = Integer.parseInt(graceful.substring(0, graceful.length() - 1));
    int drainDelayAllowance = 10;
    assertTrue(
        pod.get("terminationGracePeriodSeconds").asInt()
            >= preStop + drainDelayAllowance + gracefulSeconds,
        "grace " + pod.get("terminationGracePeriodSeconds"));
  }

  @Test
  void secretsComeFromASecretNeverTheCommandLine() throws IOException {
    JsonNode c = container();
    assertEquals(
        "forkserve", env(c).get("FORKSERVE_API_KEY").at("/valueFrom/secretKeyRef/name").asText());
    String argv = c.path("command").toString() + c.path("args");
    assertFalse(argv.contains("api-key") || argv.contains("API_KEY"), argv);
    env(c)
        .values()
        .forEach(
            e ->
                assertFalse(
                    e.get("name").asText().contains("KEY") && e.has("value"),
                    "literal secret " + e));
  }

  @Test
  void metricsDirectoryIsAMemoryBackedEmptyDir() throws IOException {
    JsonNode pod = manifest("deployment.yaml").at("/spec/template/spec");
    JsonNode c = container();
    String dir = env(c).get("METRICS_MULTIPROC_DIR").get("value").asText();
    String volume = null;
    for (JsonNode mount : c.path("volumeMounts")) {
      if (mount.get("mountPath").asText().equals(dir)) {
        volume = mount.get("name").asText();
      }
    }
    assertTrue(volume != null, "METRICS_MULTIPROC_DIR " + dir + " is not a mount");
    for (JsonNode v : pod.path("volumes")) {
      if (v.get("name").asText().equals(volume)) {
        assertEquals("Memory", v.at("/emptyDir/medium").asText(), v.toString());
        return;
      }
    }
    fail("no volume " + volume);
  }

  @Test
  void resourcesAndNonRoot() throws IOException {
    JsonNode c = container();
    assertFalse(c.at("/resources/requests/cpu").isMissingNode());
    assertFalse(c.at("/resources/requests/memory").isMissingNode());
    assertFalse(c.at("/resources/limits/memory").isMissingNode());
    JsonNode pod = manifest("deployment.yaml").at("/spec/template/spec");
    assertTrue(pod.at("/securityContext/runAsNonRoot").asBoolean());
    assertNotEquals(0, pod.at("/securityContext/runAsUser").asInt());
  }

  @Test
  void serviceAndPodMonitorSelectThePodsAndTheirNamedPort() throws IOException {
    JsonNode labels = manifest("deployment.yaml").at("/spec/template/metadata/labels");
    String port = container().at("/ports/0/name").asText();
    JsonNode service = manifest("service.yaml");
    service
        .at("/spec/selector")
        .properties()
        .forEach(e -> assertEquals(e.getValue(), labels.get(e.getKey()), "service selector " + e));
    assertEquals(port, service.at("/spec/ports/0/targetPort").asText());
    JsonNode monitor = manifest("podmonitor.yaml");
    monitor
        .at("/spec/selector/matchLabels")
        .properties()
        .forEach(
            e -> assertEquals(e.getValue(), labels.get(e.getKey()), "podmonitor selector " + e));
    assertEquals(port, monitor.at("/spec/podMetricsEndpoints/0/port").asText());
    assertEquals("/metrics", monitor.at("/spec/podMetricsEndpoints/0/path").asText());
  }

  @Test
  void hpaMetricIsServedByTheAdapterRuleWithValidPromql(@TempDir Path tmp) throws Exception {
    JsonNode hpa = manifest("hpa.yaml");
    assertEquals("forkserve", hpa.at("/spec/scaleTargetRef/name").asText());
    String metric = hpa.at("/spec/metrics/0/pods/metric/name").asText();
    JsonNode config =
        RulesIT.YAML.readTree(
            manifest("prometheus-adapter-rules.yaml").at("/data/config.yaml").asText());
    JsonNode rule = config.at("/rules/0");
    assertEquals(metric, rule.at("/name/as").asText());
    assertTrue(rule.get("seriesQuery").asText().startsWith(metric + "{"), rule.toString());
    String query =
        rule.get("metricsQuery")
            .asText()
            .replace("<<.Series>>", metric)
            .replace("<<.LabelMatchers>>", "namespace=\"default\",pod=~\"forkserve-.*\"")
            .replace("<<.GroupBy>>", "pod");
    assertFalse(query.contains("<<"), query);
    Path rules =
        Files.writeString(
            tmp.resolve("adapter.yml"),
            "groups:\n  - name: adapter\n    rules:\n      - record: adapter:query\n"
                + "        expr: '"
                + query.replace("'", "''")
                + "'\n");
    Processes.Result check =
        DeployTree.run(List.of(RulesIT.promtool(), "check", "rules", rules.toString()), LIMIT);
    assertEquals(0, check.exit(), query + "\n" + check.output());
  }
}
