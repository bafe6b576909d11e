package io.forkserve.runtime.front;

import io.undertow.server.ExchangeCompletionListener;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpServerConnection;
import org.xnio.ChannelListener;
import org.xnio.channels.StreamSourceChannel;
import org.xnio.conduits.ConduitStreamSourceChannel;
import org.xnio.conduits.StreamSourceConduit;

/**
 * Keeps the reads of an HTTP/1.1 connection armed while its request waits for a worker, so that
 * waiting costs no {@code epoll_ctl}. Undertow suspends a connection's reads when it sets up a
 * request with a body (and removes its read listener) and resumes them when the exchange ends;
 * when both happen in one pass of the IO thread's selector (an answer given in the handler) the
 * two changes cancel out, but an answer from a worker comes a pass later, so each request paid an
 * {@code EPOLL_CTL_DEL} and an {@code EPOLL_CTL_ADD}. Resuming the reads in the same pass as the
 * suspend cancels it instead; the resume at the end of the exchange then changes nothing.
 */
final class ArmedReads
    implements ChannelListener<StreamSourceChannel>, ExchangeCompletionListener {
  /*
   * While armed, a readable connection (a client that sends its next request early, or closes)
   * calls this listener, which does what Undertow would have done: it suspends the reads and
   * leaves them to the end of the exchange (so this costs the two epoll_ctl only then). The
   * exchange may end on another thread (a stream's writer), whose completion listeners run
   * before Undertow's own (they run last-added first): once this one has marked the exchange
   * ended, the listener no longer suspends, since Undertow is about to install its own listener
   * and resume; the lock makes "check ended, then suspend" atomic against that mark.
   *
   * The reads are resumed on the connection's original conduit, below the request's body
   * conduits (a finished fixed-length body would turn a resume into a wake-up of the listener).
   * Not armed: other protocols, exchanges in blocking mode, and a connection holding pipelined
   * bytes (Undertow serves those at the end of the exchange without reading).
   */

  private final StreamSourceConduit conduit;
  private boolean ended;

  private ArmedReads(StreamSourceConduit conduit) {
    this.conduit = conduit;
  }

  /** Arms the reads of {@code exchange}'s connection; call on its IO thread, body fully read. */
  static void arm(HttpServerExchange exchange) {
    if (!exchange.isInIoThread()
        || exchange.isBlocking()
        || !(exchange.getConnection() instanceof HttpServerConnection connection)
        || connection.getExtraBytes() != null) {
      return;
    }
    ConduitStreamSourceChannel channel = connection.getChannel().getSourceChannel();
    ArmedReads armed = new ArmedReads(connection.getOriginalSourceConduit());
    exchange.addExchangeCompleteListener(armed);
    channel.getReadSetter().set(armed);
    armed.conduit.resumeReads();
  }

  @Override
  public void handleEvent(StreamSourceChannel channel) {
    synchronized (this) {
      if (!ended) {
        channel.getReadSetter().set(null);
        conduit.suspendReads();
      }
    }
  }

  @Override
  public void exchangeEvent(HttpServerExchange exchange, NextListener next) {
    synchronized (this) {
      ended = true;
    }
    next.proceed();
  }
}
