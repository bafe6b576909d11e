package io.forkserve.runtime;

import io.forkserve.testsupport.Processes;
import io.forkserve.testsupport.Tools;
import java.util.ArrayList;
import java.util.List;

/**
 * The network of the fleet test (and of OperationsIT's non-loopback client, with one member): one
 * hub namespace and one namespace per member, each member joined to the hub by a veth pair with a
 * /30 of 10.200.0.0/24. The range exists only inside these namespaces; the root namespace reaches
 * them only through HAProxy, which enters the hub namespace by itself ({@code namespace} on a
 * server line), or through {@code ip netns exec}. {@link #close} deletes all of it.
 */
final class FleetNetwork implements AutoCloseable {
  /*
   *   root namespace (loopback only)        hub namespace             member i namespace
   *   client -> HAProxy 127.0.0.1 --ns-->   10.200.0.(4i+1)/30 <-veth-> 10.200.0.(4i+2)/30:8000
   *   test -> HAProxy -> Prometheus ------> 127.0.0.1:9090 (hub's own loopback)
   *
   * Names carry this JVM's pid, so that two runs on one machine do not collide (the addresses
   * may: each namespace has its own).
   */

  static final int MEMBER_PORT = 8000;
  static final int PROMETHEUS_PORT = 9090;

  final String hub;
  final List<String> members = new ArrayList<>();
  private final List<String> created = new ArrayList<>();

  private FleetNetwork(String prefix) {
    this.hub = prefix + "hub";
  }

  /**
   * Creates the namespaces and links of {@code count} members. When this machine cannot create
   * network namespaces (not root), fails with one line under bin/test and skips elsewhere.
   */
  static FleetNetwork create(int count) throws Exception {
    String prefix = "fs" + ProcessHandle.current().pid() % 100_000;
    FleetNetwork net = new FleetNetwork(prefix);
    try {
      net.add(net.hub);
      ip("-n", net.hub, "link", "set", "lo", "up");
      for (int i = 0; i < count; i++) {
        String member = prefix + "m" + i;
        net.add(member);
        net.members.add(member);
        String hubSide = prefix + "h" + i;
        String memberSide = prefix + "v" + i;
        ip("-n", net.hub, "link", "add", hubSide, "type", "veth", "peer", "name", memberSide,
            "netns", member);
        ip("-n", net.hub, "addr", "add", "10.200.0." + (4 * i + 1) + "/30", "dev", hubSide);
        ip("-n", net.hub, "link", "set", hubSide, "up");
        ip("-n", member, "addr", "add", address(i) + "/30", "dev", memberSide);
        ip("-n", member, "link", "set", memberSide, "up");
        ip("-n", member, "link", "set", "lo", "up");
      }
      return net;
    } catch (Throwable e) {
      net.close();
      throw e;
    }
  }

  /** The address member {@code i} listens on, inside its namespace. */
  static String address(int i) {
    return "10.200.0." + (4 * i + 2);
  }

  /** {@code ip netns exec NAME}: runs a command inside namespace {@code name}. */
  static List<String> inside(String name) {
    return List.of("ip", "netns", "exec", name);
  }

  private void add(String name) throws Exception {
    Processes.Result r = Processes.exec(new byte[0], "ip", "netns", "add", name);
    if (r.exit() != 0) {
      Tools.unavailable(
          "the fleet test cannot create network namespaces (ip netns add: "
              + r.stderr().strip()
              + "); it needs root or CAP_SYS_ADMIN");
    }
    created.add(name);
  }

  private static void ip(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    Processes.run(new byte[0], command.toArray(String[]::new));
  }

  /** Deletes every namespace created (their veth pairs go with them); best effort, never throws. */
  @Override
  public void close() {
    for (String name : created) {
      try {
        Processes.exec(new byte[0], "ip", "netns", "delete", name);
      } catch (Exception e) {
        System.err.println("FleetNetwork: could not delete namespace " + name + ": " + e);
      }
    }
    created.clear();
  }
}
