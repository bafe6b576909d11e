package io.forkserve.worker.channel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FrameReaderTest {
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
    Frames.writeCredit(writer, 64);
    Frames.writeResponse(writer, 7L, 200, FrameLayout.KIND_FINAL, utf8("{\"output\":1}"));
    writer.flush();
    assertEquals(0, writer.buffered());

    FrameReader reader = reader(sink.toByteArray(), readerBytes);
    ByteBuffer credit = reader.next();
    assertEquals(FrameLayout.CREDIT, reader.type());
    assertEquals(4, credit.remaining());
    assertEquals(bothInOneRead, reader.hasBufferedFrame());
    ByteBuffer responses = reader.next();
    assertEquals(FrameLayout.RESPONSES, reader.type());
    assertEquals(
        FrameLayout.COUNT_BYTES + FrameLayout.RESPONSE_MIN_BYTES + 12, responses.remaining());
    assertFalse(reader.hasBufferedFrame());
    assertThrows(EOFException.class, reader::next);
  }

  @Test
  void aFrameLengthOutOfRangeIsRefusedBeforeAnythingIsAllocated() {
    for (int length : new int[] {0, -1, FrameLayout.MAX_FRAME_BYTES + 1, Integer.MAX_VALUE}) {
      byte[] header = ByteBuffer.allocate(5).putInt(length).put(FrameLayout.CREDIT).array();
      FrameException e = assertThrows(FrameException.class, () -> reader(header, 16).next());
      assertTrue(e.getMessage().contains("frame length " + length), e.getMessage());
    }
  }

  @Test
  void aFrameCutShortByTheEndOfTheStreamIsAnEof() {
    byte[] cut =
        ByteBuffer.allocate(7).putInt(5).put(FrameLayout.CREDIT).putShort((short) 1).array();
    assertThrows(EOFException.class, () -> reader(cut, 16).next());
  }

  @Test
  void aSharedRequestBodyIsWrittenWithoutMovingItsPosition() throws Exception {
    ByteBuffer body = ByteBuffer.wrap(utf8("xx{}")).position(2);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    FrameWriter writer = new FrameWriter(Channels.newChannel(sink), 4);
    writer.beginFrame(FrameLayout.REQUESTS).putSizedBytes(body).endFrame();
    writer.flush();
    assertEquals(2, body.position());
    ByteBuffer payload = reader(sink.toByteArray(), 4).next();
    assertEquals(2, payload.getInt());
    assertEquals('{', payload.get());
    assertEquals('}', payload.get());
  }

  static FrameReader reader(byte[] bytes, int bufferBytes) {
    return new FrameReader(Channels.newChannel(new ByteArrayInputStream(bytes)), bufferBytes);
  }

  static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
