package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.worker.EchoApi;
import io.forkserve.worker.ServingApi;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServeConfigTest {
  static final String TWO =
      """
      server:
        port: 9000
        admin-token: t
      apis:
        - name: echo
          workers: 2
          max-batch-size: 8
          batch-timeout: 10ms
        - name: slow
          class: io.forkserve.runtime.ScriptedApi
          path: /v1/slow
          timeout: 2s
          max-payload: 1KB
          devices: [cuda:0, cuda:1]
      """;

  static ServeConfig parse(String text, String... flags) {
    return ServeConfig.parse("serve.yaml", text, Settings.parse(flags, Map.of()));
  }

  static String error(String text, String... flags) {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> parse(text, flags));
    assertFalse(e.getMessage().contains("\n"), e.getMessage());
    return e.getMessage();
  }

  @Test
  void entriesGetTheirOwnSettingsOverTheServerWideOnes() {
    ServeConfig config = parse(TWO);
    assertEquals(9000, config.server.port);
    assertEquals("t", config.server.adminToken);
    assertEquals(List.of("echo", "slow"), config.apis.stream().map(a -> a.name).toList());
    ApiConfig echo = config.api("echo");
    assertEquals("/echo", echo.settings.apiPath);
    assertEquals(2, echo.settings.workers);
    assertEquals(8, echo.settings.maxBatchSize);
    assertEquals(10_000_000L, echo.settings.batchTimeoutNanos);
    assertEquals(EchoApi.class.getName(), echo.className());
    assertEquals(9000, echo.settings.port);
    ApiConfig slow = config.api("slow");
    assertEquals("/v1/slow", slow.settings.apiPath);
    assertEquals(1, slow.settings.workers);
    assertEquals(2_000_000_000L, slow.settings.timeoutNanos);
    assertEquals(1000L, slow.settings.maxPayloadBytes);
    assertEquals(List.of("cuda:0", "cuda:1"), slow.settings.devices);
    assertEquals(ScriptedApi.class.getName(), slow.instantiate().getClass().getName());
  }

  @Test
  void jsonIsReadByItsName() {
    ServeConfig config =
        ServeConfig.parse(
            "serve.json",
            "{\"apis\": [{\"name\": \"a\", \"workers\": 3}]}",
            Settings.parse(new String[0], Map.of()));
    assertEquals(3, config.api("a").settings.workers);
  }

  @Test
  void serverWideFlagsOverrideTheFile() {
    ServeConfig config = parse(TWO, "--port", "9100");
    assertEquals(9100, config.server.port);
    assertEquals(9100, config.api("slow").settings.port);
  }

  @Test
  void perApiFlagsOverrideTheOnlyEntry() {
    ServeConfig config = parse("apis: [{name: one, workers: 2}]", "--workers", "4");
    assertEquals(4, config.api("one").settings.workers);
  }

  @Test
  void perApiFlagsAreRefusedWithSeveralApis() {
    assertEquals(
        "config serve.yaml: --workers is set per API and the file lists 2 APIs;"
            + " set it in the API's entry",
        error(TWO, "--workers", "4"));
  }

  @Test
  void withoutConfigTheFlagsDescribeOneDefaultApi() {
    ServeConfig config =
        ServeConfig.load(Settings.parse(new String[] {"--workers", "2"}, Map.of()));
    assertEquals(1, config.apis.size());
    assertEquals("default", config.apis.get(0).name);
    assertEquals("/predict", config.apis.get(0).settings.apiPath);
  }

  @Test
  void unknownKeyNamesTheEntry() {
    assertEquals(
        "config serve.yaml: apis[1] (b): unknown key 'wrokers' (known: name, jar, workers,"
            + " max-batch-size, batch-timeout, timeout, max-payload, max-file-size, max-queue,"
            + " devices, class, path)",
        error("apis:\n  - name: a\n  - name: b\n    wrokers: 2\n"));
    assertEquals(
        "config serve.yaml: unknown key 'api' (known: apis, exclusive-devices, server)",
        error("api: x\napis: [{name: a}]\n"));
    assertEquals(
        "config serve.yaml: server: unknown key 'prot'",
        error("server: {prot: 1}\napis: [{name: a}]"));
    assertEquals(
        "config serve.yaml: server: 'workers' is set per API, in an entry of 'apis'",
        error("server: {workers: 2}\napis: [{name: a}]"));
  }

  @Test
  void duplicatePathNamesBothEntries() {
    assertEquals(
        "config serve.yaml: apis[1] (b): duplicate path /p, also API a",
        error("apis:\n  - {name: a, path: /p}\n  - {name: b, path: /p}\n"));
    assertEquals(
        "config serve.yaml: apis[1] (a): duplicate name a",
        error("apis:\n  - {name: a, path: /p}\n  - {name: a, path: /q}\n"));
  }

  @Test
  void twoApisOnOneDeviceAreRefusedWhenExclusive() {
    String text = "apis:\n  - {name: a, devices: 'cuda:0'}\n  - {name: b, devices: '1,0'}\n";
    assertEquals(
        "config serve.yaml: apis[1] (b): device cuda:0 is already API a's"
            + " (set exclusive-devices: false to share it)",
        error(text));
    assertEquals(2, parse("exclusive-devices: false\n" + text).apis.size());
    assertEquals(2, parse("apis: [{name: a}, {name: b}]").apis.size(), "cpu is shared");
  }

  @Test
  void unknownClassNamesTheEntry() {
    ApiConfig api = parse("apis: [{name: bad, class: com.example.Missing}]").api("bad");
    WrongSettingException e = assertThrows(WrongSettingException.class, api::instantiate);
    assertTrue(
        e.getMessage().startsWith("API bad: API class com.example.Missing not found"),
        e.getMessage());
    assertFalse(e.getMessage().contains("\n"));
  }

  @Test
  void aClassThatIsNoServingApiIsAWrongSetting() {
    ApiConfig api = parse("apis: [{name: bad, class: java.lang.String}]").api("bad");
    WrongSettingException e = assertThrows(WrongSettingException.class, api::instantiate);
    assertTrue(e.getMessage().startsWith("API bad: API class java.lang.String does not extend"),
        e.getMessage());
  }

  @Test
  void aConstructorThatThrowsIsAStartUpFailureNotAWrongSetting() {
    ApiConfig api =
        parse("apis: [{name: bad, class: " + ThrowingApi.class.getName() + "}]").api("bad");
    IllegalStateException e = assertThrows(IllegalStateException.class, api::instantiate);
    assertTrue(e.getMessage().startsWith("API bad: API class " + ThrowingApi.class.getName()
        + " could not be created: java.lang.IllegalStateException: no model"), e.getMessage());
  }

  /** An API whose constructor fails, as one whose model file is missing would. */
  public static final class ThrowingApi extends ServingApi<Object, Object> {
    public ThrowingApi() {
      throw new IllegalStateException("no model");
    }

    @Override
    public Object predict(Object input) {
      return input;
    }

    @Override
    public Object encodeResponse(Object output) {
      return output;
    }
  }

  @Test
  void wrongValuesAndShapesAreOneLine() {
    assertEquals(
        "config serve.yaml: apis[0] (a): --timeout must be a duration like 250ms, 5s or 1m,"
            + " not soon",
        error("apis: [{name: a, timeout: soon}]"));
    assertEquals(
        "config serve.yaml: apis[0]: 'name' must match [a-z][a-z0-9_-]{0,62}, not null",
        error("apis: [{path: /x}]"));
    assertEquals(
        "config serve.yaml: apis[0] (a): path /metrics is the server's own route",
        error("apis: [{name: a, path: /metrics}]"));
    assertEquals(
        "config serve.yaml: 'apis' must be a list of at least one API", error("server: {}"));
    assertTrue(error("apis: [name: a").startsWith("config serve.yaml line "));
  }
}
