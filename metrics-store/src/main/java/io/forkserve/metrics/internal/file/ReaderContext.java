package io.forkserve.metrics.internal.file;

import io.forkserve.metrics.model.MetricType;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;

/**
 * What the {@link MetricFileReader}s of one scraper share: one reusable read buffer (a reader's
 * values are valid until the next reader reads) and a cache of decoded keys, so a key that
 * several files hold is decoded once. Not thread-safe: one per scraping thread.
 *
 * <p>Not user API: public for merge, archive and the runtime's {@code bin/metrics} tools.
 */
public final class ReaderContext {
  private static final int MAX_CACHED_KEYS = 1 << 20;

  private final Map<MetricType, Map<String, EntryKey>> keys = new EnumMap<>(MetricType.class);
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private byte[] keyBytes = new byte[256];
  private static final int INITIAL = 64 * 1024;
  /** The largest read buffer kept between reads. */
  static final int KEEP = 8 << 20;

  private ByteBuffer buffer = ByteBuffer.allocateDirect(INITIAL).order(FileLayout.ORDER);

  /** An empty context. */
  public ReaderContext() {
    for (MetricType type : MetricType.values()) {
      keys.put(type, new HashMap<>());
    }
  }

  /**
   * The buffer, cleared, holding at least {@code capacity} bytes; a buffer grown over {@link
   * #KEEP} for one large file is given up at the next smaller read.
   */
  ByteBuffer buffer(int capacity) {
    if (buffer.capacity() > KEEP && capacity <= KEEP) {
      buffer = ByteBuffer.allocateDirect(INITIAL).order(FileLayout.ORDER);
    }
    if (buffer.capacity() < capacity) {
      long grown = Math.min(FileLayout.MAX_CAPACITY, Math.max(capacity, 2L * buffer.capacity()));
      buffer = ByteBuffer.allocateDirect((int) grown).order(FileLayout.ORDER);
    }
    buffer.clear();
    return buffer;
  }

  /**
   * Gives up a read buffer grown over {@link #KEEP}: call it when the values read are no longer
   * needed (a scrape ended). Readers that read into it keep their last values.
   */
  public void trim() {
    if (buffer.capacity() > KEEP) {
      buffer = ByteBuffer.allocateDirect(INITIAL).order(FileLayout.ORDER);
    }
  }

  /** The current read buffer's capacity, for tests. */
  int bufferCapacity() {
    return buffer.capacity();
  }

  /** The buffer last filled. */
  ByteBuffer buffer() {
    return buffer;
  }

  /** The {@code length} bytes at {@code offset} of {@code buf} as a string: ASCII, else UTF-8. */
  String keyString(ByteBuffer buf, int offset, int length) throws CharacterCodingException {
    if (keyBytes.length < length) {
      keyBytes = new byte[Math.max(length, 2 * keyBytes.length)];
    }
    buf.get(offset, keyBytes, 0, length);
    for (int i = 0; i < length; i++) {
      if (keyBytes[i] < 0) {
        return utf8.decode(ByteBuffer.wrap(keyBytes, 0, length)).toString();
      }
    }
    return new String(keyBytes, 0, length, StandardCharsets.ISO_8859_1);
  }

  /** The key {@code json} decoded for a file of {@code type}, from the cache when seen. */
  EntryKey key(String json, MetricType type) {
    Map<String, EntryKey> cache = keys.get(type);
    EntryKey key = cache.get(json);
    if (key == null) {
      key = EntryKey.parse(json, type);
      if (cache.size() >= MAX_CACHED_KEYS) {
        cache.clear();
      }
      cache.put(json, key);
    }
    return key;
  }
}
