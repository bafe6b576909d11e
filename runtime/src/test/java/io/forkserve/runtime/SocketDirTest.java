package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SocketDirTest {
  @Test
  void onlyOldSocketDirectoriesNobodyListensOnAreRemoved(@TempDir Path parent) throws Exception {
    Path dead = Files.createDirectory(parent.resolve("forkserve-sock-1"));
    try (ServerSocketChannel gone = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      gone.bind(UnixDomainSocketAddress.of(dead.resolve(SocketDir.SOCKET)));
    } // closed: the file stays, nobody listens, as after SIGKILL
    Path live = Files.createDirectory(parent.resolve("forkserve-sock-2"));
    Path recent = Files.createDirectory(parent.resolve("forkserve-sock-3"));
    try (ServerSocketChannel listening = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      listening.bind(UnixDomainSocketAddress.of(live.resolve(SocketDir.SOCKET)));
      old(dead);
      old(live);
      SocketDir.removeAbandoned(parent);
    }
    assertFalse(Files.exists(dead));
    assertTrue(Files.exists(live));
    assertTrue(Files.exists(recent));
  }

  private static void old(Path dir) throws Exception {
    Files.setLastModifiedTime(dir, FileTime.from(Instant.now().minusSeconds(3600)));
  }
}
