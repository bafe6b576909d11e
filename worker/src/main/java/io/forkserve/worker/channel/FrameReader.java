package io.forkserve.worker.channel;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Reads {@link FrameLayout} frames from a blocking channel, filling its buffer with as many bytes
 * as one read returns, so a burst of frames costs one syscall. Not thread-safe: one reading thread.
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
   * end; valid until the next call. Throws {@link EOFException} when the peer closed and {@link
   * FrameException} for a length out of range (before allocating anything for it).
   */
  public ByteBuffer next() throws IOException {
    return next(FrameLayout.MAX_FRAME_BYTES);
  }

  /**
   * As {@link #next()}, refusing a frame longer than {@code maxLength} before buffering it (for
   * a peer not trusted yet, such as a connection that has not said HELLO).
   */
  public ByteBuffer next(int maxLength) throws IOException {
    fill(FrameLayout.FRAME_HEADER_BYTES);
    int frame = buffer.position();
    int length = buffer.getInt(frame + FrameLayout.LENGTH_OFFSET);
    if (length < 1 || length > maxLength) {
      throw new FrameException("frame length " + length + " out of range 1.." + maxLength);
    }
    fill(FrameLayout.TYPE_OFFSET + length);
    frame = buffer.position();
    type = buffer.get(frame + FrameLayout.TYPE_OFFSET);
    int start = frame + FrameLayout.FRAME_HEADER_BYTES;
    ByteBuffer payload = buffer.slice(start, length - 1);
    buffer.position(frame + FrameLayout.TYPE_OFFSET + length);
    return payload;
  }

  /** The type of the frame last returned by {@link #next}. */
  public byte type() {
    return type;
  }

  /** True when a whole frame is already buffered, so {@link #next} will not block. */
  public boolean hasBufferedFrame() {
    if (buffer.remaining() < FrameLayout.FRAME_HEADER_BYTES) {
      return false;
    }
    int length = buffer.getInt(buffer.position() + FrameLayout.LENGTH_OFFSET);
    return buffer.remaining() >= FrameLayout.TYPE_OFFSET + length;
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
}
