package io.forkserve.runtime;

import io.forkserve.worker.HttpError;
import io.forkserve.worker.Request;
import io.forkserve.worker.Response;
import io.forkserve.worker.ServingApi;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test API taking requests as they came. A multipart upload is answered with JSON describing its
 * files and fields; any other body is echoed as bytes with its content type, the status of query
 * parameter {@code status} (default 200) and header {@code X-Echo-Bytes}. Query {@code fail=1}
 * answers 422 from decodeRequest.
 */
public final class BytesApi extends ServingApi<Request, Request> {
  @Override
  public Request decodeRequest(Request request) throws HttpError {
    if ("1".equals(request.query("fail"))) {
      throw new HttpError(422, "asked to fail");
    }
    return request;
  }

  @Override
  public boolean wantsHeaders() {
    return true;
  }

  @Override
  public Request predict(Request input) {
    return input;
  }

  @Override
  public Object encodeResponse(Request request) {
    if (!request.parts().isEmpty()) {
      List<Map<String, Object>> files = new ArrayList<>();
      Map<String, String> fields = new LinkedHashMap<>();
      for (Request.Part part : request.parts()) {
        if (part.isFile()) {
          Map<String, Object> file = new LinkedHashMap<>();
          file.put("name", part.name());
          file.put("file_name", part.fileName());
          file.put("content_type", part.contentType());
          file.put("size", part.bytes().length);
          file.put("sum", sum(part.bytes()));
          files.add(file);
        } else {
          fields.put(part.name(), part.text());
        }
      }
      return Map.of("files", files, "fields", fields);
    }
    String type =
        request.contentType().isEmpty() ? "application/octet-stream" : request.contentType();
    String status = request.query("status");
    return Response.bytes(request.bytes(), type)
        .status(status == null ? 200 : Integer.parseInt(status))
        .header("X-Echo-Bytes", Integer.toString(request.bytes().length))
        .header("X-Echo-Agent", String.valueOf(request.header("user-agent")));
  }

  /** Sum of the bytes as unsigned values: a cheap check that every byte arrived. */
  static long sum(byte[] bytes) {
    long sum = 0;
    for (byte b : bytes) {
      sum += b & 0xff;
    }
    return sum;
  }
}
