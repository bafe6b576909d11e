package io.forkserve.worker.launch;

import io.forkserve.worker.ServingApi;
import io.forkserve.worker.internal.ApiLoader;
import io.forkserve.worker.internal.WorkerMain;

/**
 * What a launcher needs to know of the API class before it starts workers: that it loads (checked
 * in the launcher's own process, so a bad name fails with one line) and how it serves.
 */
public final class ApiClass {
  private ApiClass() {}

  /**
   * A new instance of {@code className}, loaded from {@code jar} (null or empty: the class path);
   * IllegalArgumentException with a one-line message when it cannot be.
   */
  public static ServingApi<?, ?> instantiate(String className, String jar) {
    return ApiLoader.instantiate(className, jar);
  }

  /** True when {@code api}'s class overrides {@link ServingApi#authorize}. */
  public static boolean overridesAuthorize(ServingApi<?, ?> api) {
    return WorkerMain.overridesAuthorize(api);
  }

  /**
   * True when the front sends {@code api}'s workers the request headers: it overrides {@link
   * ServingApi#authorize} or asks for them ({@link ServingApi#wantsHeaders}).
   */
  public static boolean wantsHeaders(ServingApi<?, ?> api) {
    return WorkerMain.overridesAuthorize(api) || api.wantsHeaders();
  }

  /**
   * True when {@code api} takes requests as they came ({@link
   * ServingApi#decodeRequest(io.forkserve.worker.Request)}): the front then accepts any content
   * type and parses multipart uploads; otherwise it refuses bodies that cannot be JSON with 415.
   */
  public static boolean takesRawRequests(ServingApi<?, ?> api) {
    return WorkerMain.takesRawRequests(api);
  }
}
