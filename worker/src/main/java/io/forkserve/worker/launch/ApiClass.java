package io.forkserve.worker.launch;

import io.forkserve.worker.Request;
import io.forkserve.worker.RequestInfo;
import io.forkserve.worker.ServingApi;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a launcher needs to know of the API class before it starts workers: that it loads (checked
 * in the launcher's own process, so a bad name fails with one line) and how it serves.
 */
public final class ApiClass {
  private ApiClass() {}

  /**
   * A new instance of {@code className}, loaded from {@code jar} (null or empty: the class path).
   * Throws {@link IllegalArgumentException} with a one-line message when the name or the jar is
   * wrong (no such class, not a {@link ServingApi}, no public no-argument constructor), and
   * {@link IllegalStateException} when the class's constructor fails.
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
      throw new IllegalStateException(
          "API class " + className + " could not be created: " + cause);
    }
  }

  private static ClassLoader loaderFor(String jar) {
    ClassLoader parent = ApiClass.class.getClassLoader();
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

  /** True when {@code api}'s class overrides {@link ServingApi#authorize}. */
  public static boolean overridesAuthorize(ServingApi<?, ?> api) {
    try {
      return api.getClass().getMethod("authorize", RequestInfo.class).getDeclaringClass()
          != ServingApi.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /**
   * True when the front sends {@code api}'s workers the request headers: it overrides {@link
   * ServingApi#authorize} or asks for them ({@link ServingApi#wantsHeaders}).
   */
  public static boolean wantsHeaders(ServingApi<?, ?> api) {
    return overridesAuthorize(api) || api.wantsHeaders();
  }

  /**
   * True when {@code api} takes requests as they came ({@link
   * ServingApi#decodeRequest(Request)}): the front then accepts any content
   * type and parses multipart uploads; otherwise it refuses bodies that cannot be JSON with 415.
   */
  public static boolean takesRawRequests(ServingApi<?, ?> api) {
    try {
      return api.getClass().getMethod("decodeRequest", Request.class).getDeclaringClass()
          != ServingApi.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }
}
