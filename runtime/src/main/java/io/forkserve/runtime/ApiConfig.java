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
   * An instance of the API's class, loaded in the supervisor to check it. Throws a
   * WrongSettingException with one line naming this API when the class or jar setting is wrong,
   * an IllegalStateException when the class's constructor fails.
   */
  ServingApi<?, ?> instantiate() {
    try {
      return ApiClass.instantiate(className(), settings.jar);
    } catch (IllegalArgumentException e) {
      throw new WrongSettingException(named(e.getMessage()));
    } catch (IllegalStateException e) {
      throw new IllegalStateException(named(e.getMessage()), e);
    }
  }

  private String named(String message) {
    return name.equals(ServeConfig.DEFAULT_NAME) ? message : "API " + name + ": " + message;
  }

  @Override
  public String toString() {
    return name + " " + className() + " on " + settings.apiPath;
  }
}
