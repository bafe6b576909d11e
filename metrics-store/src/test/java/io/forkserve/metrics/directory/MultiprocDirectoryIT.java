package io.forkserve.metrics.directory;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Directory checks that need a process ({@code chattr}, to stop even root from writing). */
class MultiprocDirectoryIT {
  @TempDir Path tmp;

  @Test
  void notWritable_oneClearLine() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("ro"));
    boolean root = "root".equals(System.getProperty("user.name"));
    if (root) {
      // root writes through permission bits; the immutable attribute stops it.
      Processes.Result r = Processes.exec(new byte[0], "chattr", "+i", dir.toString());
      if (r.exit() != 0) {
        Tools.unavailable("chattr +i unavailable (" + r.stderr().strip()
            + "): cannot make a dir unwritable as root");
      }
    } else {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-x------"));
    }
    try {
      MultiprocDirectoryException e =
          assertThrows(MultiprocDirectoryException.class, () -> MultiprocDirectory.validate(dir));
      MultiprocDirectoryTest.assertOneLine(e, dir + " is not writable");
    } finally {
      if (root) {
        Processes.run(new byte[0], "chattr", "-i", dir.toString());
      } else {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      }
    }
  }
}
