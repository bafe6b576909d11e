package io.forkserve.metrics.internal;

import java.util.ResourceBundle;

/**
 * A {@link System.Logger} that looks up the real one when it first logs. The first lookup of a
 * process sets up java.util.logging and scans the class path for a logger provider: CPU that
 * start-up need not spend for classes that log only when something goes wrong. Thread-safe.
 */
public final class LazyLogger implements System.Logger {
  private final String name;
  private volatile System.Logger delegate;

  private LazyLogger(String name) {
    this.name = name;
  }

  /** A logger named after {@code type}, as {@code System.getLogger(type.getName())}. */
  public static System.Logger of(Class<?> type) {
    return new LazyLogger(type.getName());
  }

  private System.Logger delegate() {
    System.Logger d = delegate;
    if (d == null) {
      d = System.getLogger(name);
      delegate = d;
    }
    return d;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public boolean isLoggable(Level level) {
    return delegate().isLoggable(level);
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String msg, Throwable thrown) {
    delegate().log(level, bundle, msg, thrown);
  }

  @Override
  public void log(Level level, ResourceBundle bundle, String format, Object... params) {
    delegate().log(level, bundle, format, params);
  }
}
