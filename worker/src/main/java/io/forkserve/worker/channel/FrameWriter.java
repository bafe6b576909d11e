package io.forkserve.worker.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;

/**
 * Buffers {@link FrameLayout} frames and writes everything buffered in one go. Frames are appended
 * only through {@link Frames}, so nothing else lays out frame bytes. Not thread-safe: the caller
 * serialises writers (one writing thread, or a lock).
 */
public final class FrameWriter {
  private final WritableByteChannel channel;
  private ByteBuffer buffer;
  private int frameStart = -1;

  /** A writer to {@code channel} with an initial buffer of {@code initialBytes}. */
  public FrameWriter(WritableByteChannel channel, int initialBytes) {
    this.channel = channel;
    this.buffer = ByteBuffer.allocate(initialBytes);
  }

  /** Starts a frame of {@code type}; end it with {@link #endFrame}. */
  FrameWriter beginFrame(byte type) {
    ensure(FrameLayout.FRAME_HEADER_BYTES);
    frameStart = buffer.position();
    buffer.putInt(0).put(type);
    return this;
  }

  /** Writes the length of the frame begun last. */
  void endFrame() {
    buffer.putInt(frameStart, buffer.position() - frameStart - FrameLayout.TYPE_OFFSET);
    frameStart = -1;
  }

  FrameWriter putByte(byte value) {
    ensure(1);
    buffer.put(value);
    return this;
  }

  FrameWriter putShort(short value) {
    ensure(2);
    buffer.putShort(value);
    return this;
  }

  FrameWriter putInt(int value) {
    ensure(4);
    buffer.putInt(value);
    return this;
  }

  FrameWriter putLong(long value) {
    ensure(8);
    buffer.putLong(value);
    return this;
  }

  /** Overwrites the int32 at buffer offset {@code at} (a length reserved earlier). */
  FrameWriter patchInt(int at, int value) {
    buffer.putInt(at, value);
    return this;
  }

  /** Writes the bytes, without a length. */
  FrameWriter putBytes(byte[] bytes) {
    ensure(bytes.length);
    buffer.put(bytes);
    return this;
  }

  /** Writes an int32 length and the bytes. */
  FrameWriter putSizedBytes(byte[] bytes) {
    return putInt(bytes.length).putBytes(bytes);
  }

  /**
   * Writes the remaining bytes of {@code bytes} with an int32 length before them, leaving {@code
   * bytes}' position as it was (so a shared buffer needs no duplicate).
   */
  FrameWriter putSizedBytes(ByteBuffer bytes) {
    int length = bytes.remaining();
    ensure(4 + length);
    buffer.putInt(length);
    buffer.put(buffer.position(), bytes, bytes.position(), length);
    buffer.position(buffer.position() + length);
    return this;
  }

  /** Writes the UTF-8 bytes of {@code text}, without a length. */
  FrameWriter putUtf8(String text) {
    return putBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** Bytes buffered and not yet written. */
  public int buffered() {
    return buffer.position();
  }

  /** Writes every complete frame buffered, blocking until all bytes are out. */
  public void flush() throws IOException {
    buffer.flip();
    while (buffer.hasRemaining()) {
      channel.write(buffer);
    }
    buffer.clear();
  }

  private void ensure(int bytes) {
    if (buffer.remaining() >= bytes) {
      return;
    }
    ByteBuffer bigger =
        ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + bytes));
    buffer.flip();
    bigger.put(buffer);
    buffer = bigger;
  }
}
