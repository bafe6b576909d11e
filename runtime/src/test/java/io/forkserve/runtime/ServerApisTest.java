package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkserve.runtime.front.ServerView.Probe;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The server's view over its APIs before their pools exist: no processes are started. */
class ServerApisTest {
  private final ServerApis apis = new ServerApis(new Probes(() -> 0L, 1));

  private void loadTwo() {
    ServeConfig config = ServeConfigTest.parse(ServeConfigTest.TWO);
    List<ApiRuntime> loaded = new ArrayList<>();
    for (ApiConfig api : config.apis) {
      loaded.add(new ApiRuntime(api, new Probes(() -> 0L, 1)));
    }
    apis.loaded(loaded, config.server);
  }

  @Test
  void beforeLoading_probesSayStarting() {
    Probe ready = apis.ready();
    assertFalse(ready.ok());
    assertEquals("starting", ready.body().get("cause"));
    assertFalse(apis.startup().ok());
    assertEquals(0, apis.workers());
  }

  @Test
  void loaded_viewsInConfigOrderAndWorkersSummed() {
    loadTwo();
    assertEquals(List.of("echo", "slow"), List.copyOf(apis.apis().keySet()));
    assertEquals(3, apis.workers());
    assertEquals(0, apis.readyWorkers());
    assertFalse(apis.isHealthy());
    assertEquals("API echo: starting", apis.unhealthyCause());
    assertFalse(apis.ready().ok());
  }

  @Test
  void scaleTo_namesOneApiAmongSeveral() {
    loadTwo();
    IllegalArgumentException none =
        assertThrows(IllegalArgumentException.class, () -> apis.scaleTo(null, 2));
    assertEquals("the server runs 2 APIs; name one with api=NAME", none.getMessage());
    IllegalArgumentException unknown =
        assertThrows(IllegalArgumentException.class, () -> apis.reload("nope"));
    assertEquals("no API named nope; see /info", unknown.getMessage());
  }

  @Test
  void scaleAndReload_refusedWhileStarting() {
    loadTwo();
    IllegalStateException scale =
        assertThrows(IllegalStateException.class, () -> apis.scaleTo("slow", 2));
    assertEquals("the server is still starting; scale it once it is ready", scale.getMessage());
    assertThrows(IllegalStateException.class, () -> apis.scaleBy(1));
    IllegalStateException reload =
        assertThrows(IllegalStateException.class, () -> apis.reload(null));
    assertEquals("the server is still starting; reload it once it is ready", reload.getMessage());
  }
}
