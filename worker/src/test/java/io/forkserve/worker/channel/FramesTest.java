package io.forkserve.worker.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import org.junit.jupiter.api.Test;

class FramesTest {
  @Test
  void framesWrittenInOneFlushAreReadBackOneByOne() throws Exception {
    readBack(64, true);
  }

  @Test
  void aReaderWithATinyBufferGrowsIt() throws Exception {
    readBack(4, false);
  }

  private static void readBack(int readerBytes, boolean bothInOneRead) throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(Channels.newChannel(sink), 8);
    writer.beginFrame(Wire.CREDIT).putInt(64).endFrame();
    writer.beginFrame(Wire.RESPONSES).putInt(1).putLong(7L).putShort((short) 200);
    writer.putByte(Wire.KIND_FINAL).putSizedBytes("{\"output\":1}".getBytes()).endFrame();
    writer.flush();
    assertEquals(0, writer.buffered());

    ReadableByteChannel source =
        Channels.newChannel(new java.io.ByteArrayInputStream(sink.toByteArray()));
    FrameReader reader = new FrameReader(source, readerBytes);
    ByteBuffer credit = reader.next();
    assertEquals(Wire.CREDIT, reader.type());
    assertEquals(64, credit.getInt());
    assertFalse(credit.hasRemaining());
    assertEquals(bothInOneRead, reader.hasBufferedFrame());
    ByteBuffer responses = reader.next();
    assertEquals(Wire.RESPONSES, reader.type());
    assertEquals(1, responses.getInt());
    assertEquals(7L, responses.getLong());
    assertEquals(200, responses.getShort());
    assertEquals(Wire.KIND_FINAL, responses.get());
    assertEquals("{\"output\":1}", FrameReader.utf8(responses, responses.getInt()));
    assertThrows(EOFException.class, reader::next);
  }

  @Test
  void aFrameLengthOutOfRangeIsRefused() {
    ByteBuffer bad = ByteBuffer.allocate(5).putInt(0).put((byte) 1).flip();
    FrameReader reader =
        new FrameReader(Channels.newChannel(new java.io.ByteArrayInputStream(bad.array())), 16);
    assertThrows(java.io.IOException.class, reader::next);
  }
}
