package io.forkserve.runtime;

import io.forkserve.worker.EchoApi;
import io.forkserve.worker.ServingApi;
import io.forkserve.worker.launch.ApiClass;

/** One API of the server: its name (the {@code api} label of its metrics) and its settings. */
final class ApiConfig {
  final String name;
  final Settings settings;

  ApiConfig(String name, Settings settings) {
    this.name = name;
    this.settings = settings;
  }

  /** The API's class name; the built-in echo API when none is set. */
  String className() {
    return settings.api == null ? EchoApi.class.getName() : settings.api;
  }

  /**
   * An instance of the API's class, loaded in the supervisor to check it; throws
   * IllegalArgumentException with one line naming this API when it cannot be loaded.
   */
  ServingApi<?, ?> instantiate() {
    try {
      return ApiClass.instantiate(className(), settings.jar);
    } catch (RuntimeException e) {
      if (name.equals(ServeConfig.DEFAULT_NAME)) {
        throw e;
      }
      throw new IllegalArgumentException("API " + name + ": " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return name + " " + className() + " on " + settings.apiPath;
  }
}
