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
}
