package io.forkserve.runtime;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The directory holding the workers' Unix domain socket, in the temp dir (paths of sockets must
 * stay short). Directories that servers killed with SIGKILL left behind are removed at the next
 * start: ours by name, older than a minute, and with no process listening on their socket.
 */
final class SocketDir {
  static final String PREFIX = "forkserve-sock-";
  static final String SOCKET = "workers.sock";
  static final Duration ABANDONED_AFTER = Duration.ofMinutes(1);

  final Path dir;
  final Path socket;

  private SocketDir(Path dir) {
    this.dir = dir;
    this.socket = dir.resolve(SOCKET);
  }

  /** Creates a fresh directory and binds {@code server} to its socket. */
  static SocketDir bind(ServerSocketChannel server) throws IOException {
    Path parent = Path.of(System.getProperty("java.io.tmpdir"));
    removeAbandoned(parent);
    SocketDir created = new SocketDir(Files.createTempDirectory(parent, PREFIX));
    server.bind(UnixDomainSocketAddress.of(created.socket));
    return created;
  }

  static void removeAbandoned(Path parent) {
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(parent, PREFIX + "*")) {
      for (Path dir : dirs) {
        removeIfAbandoned(new SocketDir(dir));
      }
    } catch (IOException e) {
      // cannot list: leave them
    }
  }

  private static void removeIfAbandoned(SocketDir old) {
    try {
      Instant touched = Files.getLastModifiedTime(old.dir).toInstant();
      if (touched.plus(ABANDONED_AFTER).isAfter(Instant.now()) || isListening(old.socket)) {
        return;
      }
      old.delete();
    } catch (IOException | RuntimeException e) {
      // another user's, or in use: leave it
    }
  }

  private static boolean isListening(Path socket) {
    if (!Files.exists(socket)) {
      return false;
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      return probe.connect(UnixDomainSocketAddress.of(socket));
    } catch (IOException e) {
      return false; // connection refused: nobody listens
    }
  }

  /** Removes the socket file and the directory. */
  void delete() throws IOException {
    Files.deleteIfExists(socket);
    Files.deleteIfExists(dir);
  }
}
