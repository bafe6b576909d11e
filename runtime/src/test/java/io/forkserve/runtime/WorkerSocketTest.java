package io.forkserve.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.forkserve.runtime.dispatch.Dispatcher;
import io.forkserve.runtime.internal.RestartReason;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The workers' socket against connections that never say a valid HELLO (issue 14, #6). */
class WorkerSocketTest {
  final Settings settings =
      Settings.parse(new String[] {"--worker-start-timeout", "1s"}, Map.of());
  final WorkerSocket socket = WorkerSocket.open(new ValueLoggers(List.of()));

  WorkerSocketTest() {
    WorkerLauncher none =
        new WorkerLauncher() {
          @Override
          public Handle start(int index, String device, int workers, boolean trace)
              throws IOException {
            throw new IOException("no worker in this test");
          }

          @Override
          public void stopAll(List<Handle> handles) {}
        };
    PoolEvents events =
        new PoolEvents() {
          @Override
          public void workersUp(int ready) {}

          @Override
          public void restarted(RestartReason reason) {}

          @Override
          public void crashLoop(boolean looping) {}

          @Override
          public void exited(long pid) {}
        };
    PrintStream quiet = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    WorkerPool pool =
        new WorkerPool(
            settings, System::nanoTime, none, events, RestartPolicy.of(settings), quiet, quiet);
    socket.accept(pool, new Dispatcher(8, 1_000_000_000L, System::nanoTime), settings);
  }

  @AfterEach
  void close() {
    socket.close();
  }

  SocketChannel connect() throws IOException {
    SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
    channel.connect(UnixDomainSocketAddress.of(socket.path()));
    return channel;
  }

  /** True once the socket's side closed {@code channel} (a read sees EOF). */
  static boolean closedByPeer(SocketChannel channel) throws IOException {
    return channel.read(ByteBuffer.allocate(16)) < 0;
  }

  @Test
  void aSilentConnectionIsClosedAfterTheHelloDeadlineAndOthersAreStillAccepted()
      throws Exception {
    try (SocketChannel silent = connect()) {
      long start = System.nanoTime();
      assertTrue(closedByPeer(silent), "the front closes a connection without HELLO");
      double seconds = (System.nanoTime() - start) / 1e9;
      assertTrue(seconds >= 0.9, "not before the deadline: " + seconds);
    }
    try (SocketChannel bad = connect()) {
      bad.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 1, 1}));
      assertTrue(closedByPeer(bad), "a 5-byte HELLO is refused and closed");
    }
  }

  @Test
  void manyBadHellosAtOnceNeitherBlockNorStopTheAcceptThread() throws Exception {
    SocketChannel[] silent = new SocketChannel[WorkerSocket.MAX_PENDING_HELLOS + 8];
    try {
      for (int i = 0; i < silent.length; i++) {
        silent[i] = connect();
      }
      try (SocketChannel bad = connect()) {
        bad.write(ByteBuffer.wrap(new byte[] {0x7f, 0, 0, 0, 1}));
        ServerProcess.await(
            () -> {
              try {
                return closedByPeer(bad);
              } catch (IOException e) {
                return true;
              }
            },
            Duration.ofSeconds(10),
            "a 2 GiB HELLO closed");
      }
    } finally {
      for (SocketChannel channel : silent) {
        if (channel != null) {
          channel.close();
        }
      }
    }
    try (SocketChannel late = connect()) {
      late.write(ByteBuffer.wrap(new byte[] {0, 0, 0, 2, 9, 9}));
      assertTrue(closedByPeer(late), "still accepting after the flood");
    }
    assertEquals(true, socket.path().toFile().exists());
  }
}
