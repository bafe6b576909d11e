package io.forkserve.runtime.dispatch;

/**
 * The front's side of one stream's flow control (see {@code Frames}): the responder reports the
 * bytes it has written to the client, which lets the worker send more, or that the client has
 * gone, which stops the generation in the worker.
 */
public interface StreamFlow {
  /** {@code bytes} more bytes of the stream have been written to the client. */
  void written(int bytes);

  /** The client has gone: the worker stops the stream (its emit throws). Idempotent. */
  void cancel();

  /** A flow that does nothing (a job not sent to a worker yet, tests). */
  StreamFlow NONE =
      new StreamFlow() {
        @Override
        public void written(int bytes) {}

        @Override
        public void cancel() {}
      };
}
