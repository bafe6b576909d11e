package io.forkserve.worker.channel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads {@link Wire} frames from a blocking channel, filling its buffer with as many bytes as one
 * read returns, so a burst of frames costs one syscall. Not thread-safe: one reading thread.
 */
public final class FrameReader {
  private final ReadableByteChannel channel;
  private ByteBuffer buffer;
  private byte type;

  /** A reader over {@code channel} with an initial buffer of {@code initialBytes}. */
  public FrameReader(ReadableByteChannel channel, int initialBytes) {
    this.channel = channel;
    this.buffer = ByteBuffer.allocate(initialBytes);
    this.buffer.flip();
  }

  /**
   * Blocks for the next frame and returns its payload, positioned at its start and limited to its
   * end; valid until the next call. Throws {@link EOFException} when the peer closed.
   */
  public ByteBuffer next() throws IOException {
    fill(Wire.FRAME_HEADER_BYTES);
    int length = buffer.getInt(buffer.position());
    if (length < 1 || length > Wire.MAX_FRAME_BYTES) {
      throw new IOException("bad frame length " + length);
    }
    fill(4 + length);
    type = buffer.get(buffer.position() + 4);
    int start = buffer.position() + Wire.FRAME_HEADER_BYTES;
    int end = buffer.position() + 4 + length;
    ByteBuffer payload = buffer.duplicate().position(start).limit(end).slice();
    buffer.position(end);
    return payload;
  }

  /** The type of the frame last returned by {@link #next}. */
  public byte type() {
    return type;
  }

  /** True when a whole frame is already buffered, so {@link #next} will not block. */
  public boolean hasBufferedFrame() {
    if (buffer.remaining() < Wire.FRAME_HEADER_BYTES) {
      return false;
    }
    return buffer.remaining() >= 4 + buffer.getInt(buffer.position());
  }

  private void fill(int needed) throws IOException {
    if (buffer.remaining() >= needed) {
      return;
    }
    if (buffer.capacity() < needed) {
      ByteBuffer bigger = ByteBuffer.allocate(Math.max(needed, buffer.capacity() * 2));
      bigger.put(buffer);
      buffer = bigger;
    } else {
      buffer.compact();
    }
    // buffer is in write mode here
    while (buffer.position() < needed) {
      if (channel.read(buffer) < 0) {
        throw new EOFException("channel closed");
      }
    }
    buffer.flip();
  }

  /** Reads a UTF-8 string of {@code length} bytes from {@code payload}. */
  public static String utf8(ByteBuffer payload, int length) {
    byte[] bytes = new byte[length];
    payload.get(bytes);
    return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
  }
}
