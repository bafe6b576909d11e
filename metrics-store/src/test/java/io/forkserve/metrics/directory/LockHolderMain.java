package io.forkserve.metrics.directory;

import java.nio.file.Path;

/**
 * A process for {@link DirectoryLockIT}: {@code DIR}. Takes the directory lock, prints {@code
 * locked PID}, holds it until stdin closes, then exits 0. If the lock is taken it prints the error
 * line and exits 3.
 */
final class LockHolderMain {
  private LockHolderMain() {}

  public static void main(String[] args) throws Exception {
    MultiprocDirectory held;
    try {
      held = MultiprocDirectory.lock(Path.of(args[0]));
    } catch (MultiprocDirectoryException e) {
      System.out.println(e.getMessage());
      System.exit(3);
      return;
    }
    System.out.println("locked " + ProcessHandle.current().pid());
    System.out.flush();
    while (System.in.read() >= 0) {
      // hold the lock until the test closes our stdin
    }
    held.close();
  }
}
