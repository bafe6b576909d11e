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
  private static final int MAX_SHARED_STRINGS = 1 << 16;

  private final Map<MetricType, Map<String, EntryKey>> keys = new EnumMap<>(MetricType.class);
  private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final Map<String, String> strings = new HashMap<>();
  private byte[] keyBytes = new byte[256];
  private static final int INITIAL = 64 * 1024;
  /** The largest read buffer kept after a scrape in which no read needed more. */
  static final int KEEP = 8 << 20;

  private ByteBuffer buffer = ByteBuffer.allocateDirect(INITIAL).order(FileLayout.ORDER);
  /** The most bytes a read asked for since the last {@link #trim}. */
  private int largest;

  /** An empty context. */
  public ReaderContext() {
    for (MetricType type : MetricType.values()) {
      keys.put(type, new HashMap<>());
    }
  }

  /**
   * The buffer, cleared, holding at least {@code capacity} bytes. It only grows here: a large
   * file read in every scrape reuses one buffer instead of a fresh (zeroed, page-faulted) one
   * per scrape, or per file when large and small files alternate; {@link #trim} gives it up.
   */
  ByteBuffer buffer(int capacity) {
    largest = Math.max(largest, capacity);
    if (buffer.capacity() < capacity) {
      long grown = Math.min(FileLayout.MAX_CAPACITY, Math.max(capacity, 2L * buffer.capacity()));
      buffer = ByteBuffer.allocateDirect((int) grown).order(FileLayout.ORDER);
    }
    buffer.clear();
    return buffer;
  }

  /**
   * Gives up a read buffer grown over {@link #KEEP} unless a read since the last trim needed
   * more than {@link #KEEP} (the large file is still there, and the next scrape reads it again):
   * call it when the values read are no longer needed (a scrape ended). Readers that read into a
   * buffer given up keep their last values.
   */
  public void trim() {
    if (buffer.capacity() > KEEP && largest <= KEEP) {
      buffer = ByteBuffer.allocateDirect(INITIAL).order(FileLayout.ORDER);
    }
    largest = 0;
  }

  /**
   * Gives up a read buffer grown over {@link #KEEP} whatever the reads needed: call it when the
   * files read will not be read again (a fold ended).
   */
  public void release() {
    largest = 0;
    trim();
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

  /** One instance per distinct name or help text, so keys of one family share theirs. */
  private String shared(String s) {
    String known = strings.putIfAbsent(s, s);
    if (known != null) {
      return known;
    }
    if (strings.size() > MAX_SHARED_STRINGS) {
      strings.clear(); // hostile files with ever new names: stay bounded
    }
    return s;
  }

  /** The key {@code json} decoded for a file of {@code type}, from the cache when seen. */
  EntryKey key(String json, MetricType type) {
    Map<String, EntryKey> cache = keys.get(type);
    EntryKey key = cache.get(json);
    if (key == null) {
      key = EntryKey.parse(json, type, this::shared);
      if (cache.size() >= MAX_CACHED_KEYS) {
        cache.clear();
      }
      cache.put(json, key);
    }
    return key;
  }
}
