package io.forkserve.examples;

import io.forkserve.worker.HttpError;
import io.forkserve.worker.Request;
import io.forkserve.worker.Response;
import io.forkserve.worker.ServingApi;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * An image model without a download: takes a PNG or JPEG, as the raw body or as the file {@code
 * image} of a multipart upload (with an optional {@code threshold} field, 0-255), and answers the
 * image turned to black and white as {@code image/png}, with its mean brightness in a header; with
 * query {@code ?format=json} it answers the figures as JSON instead.
 */
public final class ImageApi extends ServingApi<ImageApi.Input, ImageApi.Output> {
  /** A decoded image, the threshold and the answer format asked for. */
  public record Input(BufferedImage image, int threshold, boolean json) {}

  /** The black-and-white image, the mean brightness before, and whether to answer JSON. */
  public record Output(BufferedImage image, double meanBrightness, boolean json) {}

  @Override
  public Input decodeRequest(Request request) throws IOException {
    byte[] bytes = request.bytes();
    int threshold = 128;
    if (request.mediaType().equals("multipart/form-data")) {
      Request.Part image = request.part("image");
      if (image == null || !image.isFile()) {
        throw new HttpError(400, "upload the image as the file field \"image\"");
      }
      bytes = image.bytes();
      Request.Part field = request.part("threshold");
      if (field != null) {
        threshold = parseThreshold(field.text());
      }
    }
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    if (image == null) {
      throw new HttpError(415, "not a PNG or JPEG image");
    }
    return new Input(image, threshold, "json".equals(request.query("format")));
  }

  private static int parseThreshold(String text) {
    try {
      int value = Integer.parseInt(text.trim());
      if (value >= 0 && value <= 255) {
        return value;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new HttpError(400, "threshold must be 0-255, not " + text);
  }

  @Override
  public Output predict(Input input) {
    BufferedImage in = input.image();
    BufferedImage out =
        new BufferedImage(in.getWidth(), in.getHeight(), BufferedImage.TYPE_BYTE_BINARY);
    double sum = 0;
    for (int y = 0; y < in.getHeight(); y++) {
      for (int x = 0; x < in.getWidth(); x++) {
        int rgb = in.getRGB(x, y);
        int gray =
            (int) (0.299 * ((rgb >> 16) & 255) + 0.587 * ((rgb >> 8) & 255) + 0.114 * (rgb & 255));
        sum += gray;
        out.setRGB(x, y, gray >= input.threshold() ? 0xFFFFFF : 0);
      }
    }
    return new Output(out, sum / ((double) in.getWidth() * in.getHeight()), input.json());
  }

  @Override
  public Object encodeResponse(Output output) throws IOException {
    String mean = String.format(Locale.ROOT, "%.1f", output.meanBrightness());
    if (output.json()) {
      return Map.of(
          "width", output.image().getWidth(),
          "height", output.image().getHeight(),
          "mean_brightness", Double.parseDouble(mean));
    }
    ByteArrayOutputStream png = new ByteArrayOutputStream();
    ImageIO.write(output.image(), "png", png);
    return Response.bytes(png.toByteArray(), "image/png").header("X-Mean-Brightness", mean);
  }
}
