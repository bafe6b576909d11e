package io.forkserve.metrics;

import java.util.Objects;

/**
 * What the four metric builders share: the name, the HELP text and the label names. Each
 * builder adds its own settings and {@code register}.
 *
 * @param <B> the concrete builder, returned by the setters for chaining
 */
abstract class MetricBuilder<B extends MetricBuilder<B>> {
  final String name;
  String help = "";
  String[] labelNames = new String[0];

  MetricBuilder(String name) {
    this.name = name;
  }

  abstract B self();

  /** The HELP text; empty by default. */
  public B help(String help) {
    this.help = Objects.requireNonNull(help, "help");
    return self();
  }

  /** The label names, in the order the metric's {@code labels(...)} takes their values. */
  public B labelNames(String... labelNames) {
    this.labelNames = labelNames.clone();
    return self();
  }
}
