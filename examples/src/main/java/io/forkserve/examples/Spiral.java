package io.forkserve.examples;

import java.util.Random;

/** A labelled three-arm spiral in the unit disc: the classic toy classification set. */
final class Spiral {
  final double[][] points;
  final int[] labels;

  private Spiral(double[][] points, int[] labels) {
    this.points = points;
    this.labels = labels;
  }

  /** {@code perArm} noisy points on each of the three arms, from {@code seed}. */
  static Spiral generate(int perArm, long seed) {
    Random random = new Random(seed);
    int n = perArm * SpiralClassifierApi.CLASSES;
    double[][] points = new double[n][];
    int[] labels = new int[n];
    for (int arm = 0; arm < SpiralClassifierApi.CLASSES; arm++) {
      for (int i = 0; i < perArm; i++) {
        double radius = (double) i / perArm;
        double angle = arm * 4.0 + radius * 4.0 + random.nextGaussian() * 0.2;
        int k = arm * perArm + i;
        points[k] = new double[] {radius * Math.sin(angle), radius * Math.cos(angle)};
        labels[k] = arm;
      }
    }
    return new Spiral(points, labels);
  }
}
