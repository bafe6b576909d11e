package io.forkserve.worker.internal;

import io.forkserve.worker.ServingApi;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads and instantiates the user's {@link ServingApi} class, with clear one-line errors. */
public final class ApiLoader {
  private ApiLoader() {}

  /**
   * A new instance of {@code className}, loaded from {@code jar} (null or empty: the class path).
   * Throws {@link IllegalArgumentException} with a one-line message when it cannot.
   */
  @SuppressWarnings("unchecked")
  public static <I, O> ServingApi<I, O> instantiate(String className, String jar) {
    ClassLoader loader = loaderFor(jar);
    Class<?> type;
    try {
      type = Class.forName(className, true, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new IllegalArgumentException(
          "API class "
              + className
              + " not found"
              + (jar == null || jar.isEmpty() ? "" : " in " + jar)
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
    if (!ServingApi.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException(
          "API class " + className + " does not extend " + ServingApi.class.getName());
    }
    try {
      return (ServingApi<I, O>) type.getConstructor().newInstance();
    } catch (NoSuchMethodException e) {
      throw new IllegalArgumentException(
          "API class " + className + " needs a public no-argument constructor");
    } catch (ReflectiveOperationException | RuntimeException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalArgumentException(
          "API class " + className + " could not be created: " + cause);
    }
  }

  private static ClassLoader loaderFor(String jar) {
    ClassLoader parent = ApiLoader.class.getClassLoader();
    if (jar == null || jar.isEmpty()) {
      return parent;
    }
    Path path = Path.of(jar);
    if (!Files.isReadable(path)) {
      throw new IllegalArgumentException("jar " + jar + " is not a readable file");
    }
    try {
      return new URLClassLoader(new URL[] {path.toUri().toURL()}, parent);
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("jar " + jar + " is not a valid path");
    }
  }
}
