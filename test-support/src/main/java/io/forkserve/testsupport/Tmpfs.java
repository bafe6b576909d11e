package io.forkserve.testsupport;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small tmpfs mounted for one test, to fill a disk for real. Mounting needs root: where it
 * fails the test is skipped with the reason, or fails under {@code FORKSERVE_REQUIRE_TOOLS=1}
 * (bin/test runs as root).
 */
public final class Tmpfs implements AutoCloseable {
  private final Path mountPoint;
  private final Path filler;

  private Tmpfs(Path mountPoint) {
    this.mountPoint = mountPoint;
    this.filler = mountPoint.resolve("filler");
  }

  /** Mounts a tmpfs of {@code size} (as mount's {@code size=}, e.g. {@code 4m}), mode 0700. */
  public static Tmpfs mount(Path mountPoint, String size) throws Exception {
    Files.createDirectories(mountPoint);
    Processes.Result r = Processes.exec(new byte[0], "mount", "-t", "tmpfs", "-o",
        "size=" + size + ",mode=0700", "tmpfs", mountPoint.toString());
    if (r.exit() != 0) {
      Tools.unavailable("cannot mount a tmpfs (root only): " + r.stderr().trim());
    }
    return new Tmpfs(mountPoint);
  }

  public Path path() {
    return mountPoint;
  }

  /** Writes one file until the tmpfs is full (ENOSPC). */
  public void fill() throws IOException {
    byte[] block = new byte[4096];
    try (OutputStream out = Files.newOutputStream(filler)) {
      for (long i = 0; i < 1 << 20; i++) { // a bound: 4 GiB
        out.write(block);
      }
      fail("the tmpfs at " + mountPoint + " never filled up");
    } catch (IOException expected) { // ENOSPC
    }
  }

  /** Deletes what {@link #fill} wrote. */
  public void free() throws IOException {
    Files.deleteIfExists(filler);
  }

  /** Unmounts lazily: mappings of the test's processes may outlive it. */
  @Override
  public void close() throws IOException {
    try {
      Processes.run(new byte[0], "umount", "-l", mountPoint.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted unmounting " + mountPoint, e);
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("cannot unmount " + mountPoint, e);
    }
  }
}
