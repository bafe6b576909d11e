package io.forkserve.worker;

/**
 * Hooks around the serving stages; every method does nothing by default. Stage hooks run in the
 * worker process on its serving thread; request, response and server hooks run in the front
 * process. Implementations must be fast and must not throw (a throwing hook is logged and ignored).
 */
public interface Callback {
  default void beforeSetup(ServingApi<?, ?> api) {}

  default void afterSetup(ServingApi<?, ?> api) {}

  default void beforeDecode(ServingApi<?, ?> api) {}

  default void afterDecode(ServingApi<?, ?> api) {}

  default void beforePredict(ServingApi<?, ?> api) {}

  default void afterPredict(ServingApi<?, ?> api) {}

  default void beforeEncode(ServingApi<?, ?> api) {}

  default void afterEncode(ServingApi<?, ?> api) {}

  /** In the front, when a request for the API path arrives. */
  default void onRequest(RequestInfo request) {}

  /** In the front, when the response for the API path is sent, with its status. */
  default void onResponse(RequestInfo request, int status) {}

  /** In the front, once every worker is ready. */
  default void onServerStart() {}

  /** In the front, when the server stops. */
  default void onServerStop() {}
}
