package io.forkserve.runtime;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntConsumer;

/** The signals {@code bin/serve} handles, installed once by {@link Serve}. */
final class Signals {
  /*
   * TERM/INT: the first starts a graceful shutdown on its own thread (a handler must return
   * quickly) which exits 0 when done; the second kills every worker tree and halts at once with
   * 128 + the signal number. HUP: rolling restart. TTIN/TTOU: one worker more/less.
   *
   * sun.misc.Signal (module jdk.unsupported) is reached by reflection: javac warns about any
   * direct use of it and the build treats warnings as errors. Handlers get the signal number.
   */

  private Signals() {}

  /**
   * Installs the handlers, which write their lines to {@code err}; returns the names of signals
   * this JVM would not let us handle.
   */
  static List<String> install(Supervisor supervisor, PrintStream err) {
    AtomicBoolean stopping = new AtomicBoolean();
    List<String> refused = new ArrayList<>();
    for (String name : List.of("TERM", "INT")) {
      handle(
          name,
          number -> {
            if (stopping.compareAndSet(false, true)) {
              Thread graceful =
                  new Thread(
                      () -> {
                        supervisor.shutdown();
                        System.exit(0);
                      },
                      "forkserve-shutdown");
              graceful.setDaemon(false); // keeps the JVM up after the front's threads end
              graceful.start();
            } else {
              err.println("forkserve: second signal: stopping at once");
              supervisor.kill();
              Runtime.getRuntime().halt(128 + number);
            }
          },
          refused);
    }
    handle("HUP", number -> reload(supervisor, err), refused);
    handle("TTIN", number -> supervisor.scaleBy(1), refused);
    handle("TTOU", number -> supervisor.scaleBy(-1), refused);
    return refused;
  }

  private static void reload(Supervisor supervisor, PrintStream err) {
    try {
      supervisor.reload();
    } catch (IllegalStateException e) {
      err.println("forkserve: " + e.getMessage());
    }
  }

  private static void handle(String name, IntConsumer handler, List<String> refused) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      Method number = signalClass.getMethod("getNumber");
      Object proxy =
          Proxy.newProxyInstance(
              Signals.class.getClassLoader(),
              new Class<?>[] {handlerClass},
              (self, method, args) -> {
                if (method.getName().equals("handle")) {
                  handler.accept((Integer) number.invoke(args[0]));
                  return null;
                }
                return method.getName().equals("toString") ? "forkserve-" + name : null;
              });
      Object signal = signalClass.getConstructor(String.class).newInstance(name);
      Object previous =
          signalClass.getMethod("handle", signalClass, handlerClass).invoke(null, signal, proxy);
      if (previous == handlerClass.getField("SIG_IGN").get(null)) {
        refused.add(name + " (the parent process ignores it, e.g. for a background job)");
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      refused.add(name);
    }
  }
}
