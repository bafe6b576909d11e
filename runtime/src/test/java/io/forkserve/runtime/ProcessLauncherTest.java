package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.worker.launch.WorkerArgs;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessLauncherTest {
  @Test
  void command_namesTheWorkerMainAndItsKeysAndKeepsSecretsBack() {
    Settings settings =
        Settings.parse(
            new String[] {"--api-key", "hunter2", "--admin-token", "t0ken", "--workers", "3"},
            Map.of());
    ProcessLauncher launcher =
        new ProcessLauncher(settings, "com.example.Api", Path.of("/tmp/s.sock"), Path.of("/m"));
    List<String> command = launcher.command(1, "cuda:1", 3, false);
    int main = command.indexOf(WorkerArgs.MAIN_CLASS);
    assertTrue(main > 0, command::toString);
    List<String> args = command.subList(main + 1, command.size());
    assertTrue(args.contains(WorkerArgs.INDEX + "=1"), args::toString);
    assertTrue(args.contains(WorkerArgs.WORKERS + "=3"), args::toString);
    assertTrue(args.contains(WorkerArgs.API + "=com.example.Api"), args::toString);
    assertTrue(args.contains(WorkerArgs.DEVICE + "=cuda:1"), args::toString);
    assertTrue(args.contains(WorkerArgs.SOCKET + "=/tmp/s.sock"), args::toString);
    assertTrue(args.contains(WorkerArgs.PRINT_SETUP_TRACE + "=false"), args::toString);
    assertEquals(
        List.of(),
        args.stream().filter(a -> a.contains("hunter2") || a.contains("t0ken")).toList());
  }
}
