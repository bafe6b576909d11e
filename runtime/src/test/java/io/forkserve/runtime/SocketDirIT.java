package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.testsupport.Processes;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The socket directory's clean-up against other processes holding (or having held) their locks:
 * those servers are helper JVMs, so this is a process test.
 */
class SocketDirIT {
  @TempDir Path logs;

  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES) // a hang guard, not a deadline
  void aLiveServersDirectoryIsLeftAloneAndItsSocketNeverConnectedTo(@TempDir Path parent)
      throws Exception {
    Path live = Files.createDirectory(parent.resolve(SocketDir.PREFIX + "live"));
    Files.createFile(live.resolve(SocketDir.LOCK));
    Process owner = holdLock(live.resolve(SocketDir.LOCK), logs.resolve("holder.log"));
    try (ServerSocketChannel workers = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      workers.bind(UnixDomainSocketAddress.of(live.resolve(SocketDir.SOCKET)));
      workers.configureBlocking(false);
      old(live);

      SocketDir.removeAbandoned(parent);

      assertTrue(Files.exists(live.resolve(SocketDir.SOCKET)));
      assertNull(workers.accept(), "a starting server connected to another server's socket");
    } finally {
      owner.destroyForcibly();
      owner.waitFor();
    }
    // the owner died as with SIGKILL: its lock is gone, so the directory is abandoned now
    old(live);
    SocketDir.removeAbandoned(parent);
    assertFalse(Files.exists(live));
  }

  @Test
  void onlyOldLockedDirectoriesWhoseLockIsFreeAreRemoved(@TempDir Path parent) throws Exception {
    Path dead = Files.createDirectory(parent.resolve(SocketDir.PREFIX + "dead"));
    Files.createFile(dead.resolve(SocketDir.LOCK));
    try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      gone.bind(UnixDomainSocketAddress.of(dead.resolve(SocketDir.SOCKET)));
    } // closed: the file stays, as after SIGKILL
    Path recent = Files.createDirectory(parent.resolve(SocketDir.PREFIX + "recent"));
    Files.createFile(recent.resolve(SocketDir.LOCK));
    Path unlocked = Files.createDirectory(parent.resolve(SocketDir.PREFIX + "older-version"));
    Files.createFile(unlocked.resolve(SocketDir.SOCKET));
    old(dead);
    old(unlocked);

    SocketDir.removeAbandoned(parent);

    assertFalse(Files.exists(dead));
    assertTrue(Files.exists(recent));
    assertTrue(Files.exists(unlocked.resolve(SocketDir.SOCKET)));
  }

  @Test
  void aDirectoryThisJvmHoldsIsSkippedAndKeepsItsLock(@TempDir Path parent) throws Exception {
    try (ServerSocketChannel a = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ServerSocketChannel b = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      SocketDir first = SocketDir.bind(a, parent);
      old(first.dir);
      SocketDir second = SocketDir.bind(b, parent); // runs removeAbandoned over first
      assertTrue(Files.exists(first.socket));
      assertEquals(UnixDomainSocketAddress.of(first.socket), a.getLocalAddress());
      assertTrue(Files.exists(second.socket));
      assertTrue(lockedByThisJvm(first.dir.resolve(SocketDir.LOCK)));
      first.delete();
      second.delete();
      assertFalse(Files.exists(first.dir));
      assertFalse(Files.exists(second.dir));
    }
  }

  /** True when another process cannot take the lock (this JVM still holds it). */
  private static boolean lockedByThisJvm(Path lockFile) throws Exception {
    String answer =
        Processes.run(
            Duration.ofSeconds(60),
            null,
            Processes.javaCommand(TryLock.class.getName(), lockFile.toString()));
    return "busy".equals(answer.strip());
  }

  /** Starts a {@link HoldLock} on {@code lockFile}; returns once it holds the lock. */
  private static Process holdLock(Path lockFile, Path log) throws Exception {
    Process owner =
        Processes.start(log, Processes.javaCommand(HoldLock.class.getName(), lockFile.toString()));
    Processes.awaitOutput(
        owner, log, out -> out.startsWith("locked"), Duration.ofSeconds(60), "the lock held");
    return owner;
  }

  private static void old(Path dir) throws Exception {
    Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minusSeconds(3600)));
  }

  /** Another server: holds the lock on args[0] until its stdin closes or it is killed. */
  static final class HoldLock {
    public static void main(String[] args) throws Exception {
      try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
        channel.lock();
        System.out.println("locked");
        System.out.flush();
        System.in.read();
      }
    }
  }

  /** Prints "free" if it could take the lock on args[0], else "busy". */
  static final class TryLock {
    public static void main(String[] args) throws Exception {
      try (FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.WRITE)) {
        System.out.println(channel.tryLock() == null ? "busy" : "free");
      }
    }
  }
}
