package io.forkserve.runtime.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.forkserve.testsupport.Processes;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/Dockerfile without a container engine (this machine has none): its shape (multi-stage,
 * JRE-only final stage, numeric non-root user, exec-form entry point) and its entry-point command
 * run on the host against this build's class path.
 */
class DockerfileIT {
  static final Pattern FROM = Pattern.compile("^FROM (\\S+)", Pattern.MULTILINE);
  static final Pattern ENTRYPOINT = Pattern.compile("^ENTRYPOINT (\\[.*])$", Pattern.MULTILINE);

  static String dockerfile() throws Exception {
    return Files.readString(DeployTree.deploy("Dockerfile"));
  }

  @Test
  void multiStageJreOnlyNonRoot() throws Exception {
    String text = dockerfile();
    List<String> stages = new ArrayList<>();
    Matcher from = FROM.matcher(text);
    while (from.find()) {
      stages.add(from.group(1));
    }
    assertTrue(stages.size() >= 2, "stages " + stages);
    String last = stages.get(stages.size() - 1);
    assertTrue(last.endsWith("-jre"), "final stage is not a JRE image: " + last);
    Matcher user = Pattern.compile("^USER (\\d+)(:\\d+)?$", Pattern.MULTILINE).matcher(text);
    assertTrue(user.find(), "no numeric USER");
    assertFalse(user.group(1).equals("0"), "runs as root");
    assertTrue(text.lastIndexOf("USER ") > text.lastIndexOf("FROM "), "USER not in final stage");
  }

  @Test
  void entryPointStartsServeWithTheLaunchersJvmOptions() throws Exception {
    Matcher m = ENTRYPOINT.matcher(dockerfile());
    assertTrue(m.find(), "no exec-form ENTRYPOINT");
    JsonNode entry = new ObjectMapper().readTree(m.group(1));
    assertEquals("/bin/sh", entry.get(0).asText());
    String script = entry.get(2).asText();
    assertTrue(script.startsWith("exec java "), "java must be PID 1 for SIGTERM: " + script);
    // map the image's /app layout onto this build's class path and run it
    String classPath = System.getProperty("java.class.path");
    String mapped =
        script
            .replace("exec java ", "exec " + ProcessHandle.current().info().command().get() + " ")
            .replace("'/app/forkserve-runtime.jar:/app/lib/*'", "'" + classPath + "'");
    assertTrue(mapped.contains(classPath), "class path not where expected: " + script);
    assertFalse(classPath.contains("'"), classPath);
    Processes.Result help =
        DeployTree.run(
            DeployTree.root(),
            List.of(
                "env",
                "FORKSERVE_JVM_OPTS=-XX:+UseSerialGC -XX:-UsePerfData",
                "/bin/sh",
                "-c",
                mapped,
                "forkserve",
                "--help"),
            Duration.ofMinutes(2));
    assertEquals(0, help.exit(), help.output());
    assertTrue(help.output().contains("env FORKSERVE_API"), help.output());
  }
}
