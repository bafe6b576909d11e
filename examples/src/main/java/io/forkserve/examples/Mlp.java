package io.forkserve.examples;

import java.util.Random;

/** A two-layer perceptron (2 -> hidden ReLU -> softmax) trained by full-batch gradient descent. */
final class Mlp {
  private final int hidden;
  private final double[][] w1;
  private final double[] b1;
  private final double[][] w2;
  private final double[] b2;

  private Mlp(int hidden, Random random) {
    this.hidden = hidden;
    w1 = new double[2][hidden];
    b1 = new double[hidden];
    w2 = new double[hidden][SpiralClassifierApi.CLASSES];
    b2 = new double[SpiralClassifierApi.CLASSES];
    for (double[] row : w1) {
      for (int j = 0; j < hidden; j++) {
        row[j] = random.nextGaussian() * 0.5;
      }
    }
    for (double[] row : w2) {
      for (int c = 0; c < row.length; c++) {
        row[c] = random.nextGaussian() * 0.1;
      }
    }
  }

  /** Trains on {@code data} for {@code epochs} full-batch steps. */
  static Mlp train(Spiral data, int hidden, int epochs, long seed) {
    Mlp mlp = new Mlp(hidden, new Random(seed));
    for (int e = 0; e < epochs; e++) {
      mlp.step(data, 1.0, 1e-3);
    }
    return mlp;
  }

  /** Class probabilities for each point of {@code batch}. */
  double[][] probabilities(double[][] batch) {
    double[][] out = new double[batch.length][];
    double[] h = new double[hidden];
    for (int i = 0; i < batch.length; i++) {
      out[i] = forward(batch[i], h);
    }
    return out;
  }

  double accuracy(Spiral data) {
    double[][] probs = probabilities(data.points);
    int right = 0;
    for (int i = 0; i < probs.length; i++) {
      int best = 0;
      for (int c = 1; c < probs[i].length; c++) {
        if (probs[i][c] > probs[i][best]) {
          best = c;
        }
      }
      right += best == data.labels[i] ? 1 : 0;
    }
    return (double) right / probs.length;
  }

  private double[] forward(double[] x, double[] h) {
    for (int j = 0; j < hidden; j++) {
      h[j] = Math.max(0, x[0] * w1[0][j] + x[1] * w1[1][j] + b1[j]);
    }
    double[] scores = b2.clone();
    for (int j = 0; j < hidden; j++) {
      for (int c = 0; c < scores.length; c++) {
        scores[c] += h[j] * w2[j][c];
      }
    }
    return softmax(scores);
  }

  private static double[] softmax(double[] scores) {
    double max = Math.max(scores[0], Math.max(scores[1], scores[2]));
    double sum = 0;
    for (int c = 0; c < scores.length; c++) {
      scores[c] = Math.exp(scores[c] - max);
      sum += scores[c];
    }
    for (int c = 0; c < scores.length; c++) {
      scores[c] /= sum;
    }
    return scores;
  }

  private void step(Spiral data, double rate, double l2) {
    int n = data.points.length;
    double[][] gw1 = new double[2][hidden];
    double[] gb1 = new double[hidden];
    double[][] gw2 = new double[hidden][b2.length];
    double[] gb2 = new double[b2.length];
    double[] h = new double[hidden];
    for (int i = 0; i < n; i++) {
      double[] x = data.points[i];
      double[] p = forward(x, h);
      p[data.labels[i]] -= 1; // d loss / d scores
      for (int c = 0; c < p.length; c++) {
        gb2[c] += p[c] / n;
      }
      for (int j = 0; j < hidden; j++) {
        double dh = 0;
        for (int c = 0; c < p.length; c++) {
          gw2[j][c] += h[j] * p[c] / n;
          dh += w2[j][c] * p[c];
        }
        if (h[j] <= 0) {
          continue;
        }
        gw1[0][j] += x[0] * dh / n;
        gw1[1][j] += x[1] * dh / n;
        gb1[j] += dh / n;
      }
    }
    for (int j = 0; j < hidden; j++) {
      w1[0][j] -= rate * (gw1[0][j] + l2 * w1[0][j]);
      w1[1][j] -= rate * (gw1[1][j] + l2 * w1[1][j]);
      b1[j] -= rate * gb1[j];
      for (int c = 0; c < b2.length; c++) {
        w2[j][c] -= rate * (gw2[j][c] + l2 * w2[j][c]);
      }
    }
    for (int c = 0; c < b2.length; c++) {
      b2[c] -= rate * gb2[c];
    }
  }
}
