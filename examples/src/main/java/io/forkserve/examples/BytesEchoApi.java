package io.forkserve.examples;

import io.forkserve.worker.Request;
import io.forkserve.worker.Response;
import io.forkserve.worker.ServingApi;

/**
 * Takes any body as it came and answers the same bytes with the same content type, plus an {@code
 * X-Bytes} header: the smallest API beyond JSON (and the binary-upload benchmark's server).
 */
public final class BytesEchoApi extends ServingApi<Request, Request> {
  @Override
  public Request decodeRequest(Request request) {
    return request;
  }

  @Override
  public Request predict(Request input) {
    return input;
  }

  @Override
  public Object encodeResponse(Request request) {
    String type =
        request.contentType().isEmpty() ? "application/octet-stream" : request.contentType();
    return Response.bytes(request.bytes(), type)
        .header("X-Bytes", Integer.toString(request.bytes().length));
  }
}
