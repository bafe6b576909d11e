package io.forkserve.worker.openai;

/** Where {@link OpenAiChatApi#generate} puts the tokens it produces, one at a time. */
@FunctionalInterface
public interface TokenSink {
  /**
   * Sends {@code token} (some text: a character, a word piece) to the client. Returns false once
   * the completion is long enough ({@code max_tokens}): stop generating then. Blocks while the
   * client reads slower than the model, and throws {@link
   * io.forkserve.worker.StreamCancelledException} once a streaming client has gone.
   */
  boolean emit(String token);
}
