package io.forkserve.runtime.front;

/** The OpenAI-compatible routes an API can be served on, by the kind of model it is. */
public enum OpenAiRoute {
  /** {@code POST /v1/chat/completions}: an {@code OpenAiChatApi}. */
  CHAT("/v1/chat/completions"),
  /** {@code POST /v1/embeddings}: an {@code OpenAiEmbeddingApi}. */
  EMBEDDINGS("/v1/embeddings");

  /** {@code GET /v1/models}: the models of every route. */
  static final String MODELS = "/v1/models";

  /** Paths under it answer errors in OpenAI's shape. */
  static final String PREFIX = "/v1/";

  private final String path;

  OpenAiRoute(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }
}
