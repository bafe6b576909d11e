package io.forkserve.worker.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.forkserve.worker.internal.WorkerMain;
import org.junit.jupiter.api.Test;

class WorkerArgsTest {
  @Test
  void mainClass_namesTheWorkerEntryPoint() {
    assertEquals(WorkerMain.class.getName(), WorkerArgs.MAIN_CLASS);
  }
}
