package kafkalab.host;

import java.io.IOException;
import java.net.ProtocolFamily;
import java.nio.channels.DatagramChannel;
import java.nio.channels.Pipe;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.spi.AbstractSelector;
import java.nio.channels.spi.SelectorProvider;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The JVM's SelectorProvider (-Djava.nio.channels.spi.SelectorProvider=kafkalab.host.Cutter): Java's
 * own, except that it remembers which ThreadGroup opened each socket, and can cut a group off: its
 * sockets are closed and every new one it asks for fails. A vanish cuts the member's group, so its
 * client can say nothing more to Kafka, not even a leave: the group notices only at the session
 * timeout, as after a crash. The Kafka clients open their sockets on their network thread, which
 * the member's thread created, so it is in the member's group.
 */
public final class Cutter extends SelectorProvider {
  private static final Map<ThreadGroup, Set<SocketChannel>> OPEN = new ConcurrentHashMap<>();
  private static final Set<ThreadGroup> CUT = ConcurrentHashMap.newKeySet();
  private static final String CUT_OFF = "this client is cut off from the network (its member vanished)";

  private final SelectorProvider java;

  public Cutter() throws ReflectiveOperationException {
    // Java's default provider (needs --add-exports java.base/sun.nio.ch=ALL-UNNAMED on the command line).
    Class<?> c = Class.forName("sun.nio.ch.DefaultSelectorProvider");
    Object p;
    try {
      p = c.getMethod("get").invoke(null);
    } catch (NoSuchMethodException e) {
      p = c.getMethod("create").invoke(null);
    }
    this.java = (SelectorProvider) p;
  }

  /** Whether this JVM runs with the Cutter (the host's command line sets it). */
  static boolean installed() {
    return SelectorProvider.provider() instanceof Cutter;
  }

  /** Closes the group's sockets and refuses it new ones. */
  static void cut(ThreadGroup group) {
    CUT.add(group);
    Set<SocketChannel> open = OPEN.get(group);
    if (open == null) return;
    for (SocketChannel ch : open) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // closed either way
      }
    }
  }

  /** The group is done (its client closed): nothing to remember any more. */
  static void forget(ThreadGroup group) {
    OPEN.remove(group);
    CUT.remove(group);
  }

  private static boolean isCut(ThreadGroup g) {
    for (ThreadGroup x = g; x != null; x = x.getParent()) {
      if (CUT.contains(x)) return true;
    }
    return false;
  }

  private SocketChannel track(SocketChannel ch) throws IOException {
    ThreadGroup g = Thread.currentThread().getThreadGroup();
    Set<SocketChannel> open = OPEN.computeIfAbsent(g, k -> ConcurrentHashMap.newKeySet());
    open.removeIf(c -> !c.isOpen());
    open.add(ch);
    // Checked after registering: a cut that ran meanwhile has closed it or sees it now.
    if (isCut(g)) {
      ch.close();
      throw new IOException(CUT_OFF);
    }
    return ch;
  }

  @Override
  public SocketChannel openSocketChannel() throws IOException {
    refuseIfCut();
    return track(java.openSocketChannel());
  }

  @Override
  public SocketChannel openSocketChannel(ProtocolFamily family) throws IOException {
    refuseIfCut();
    return track(java.openSocketChannel(family));
  }

  private static void refuseIfCut() throws IOException {
    if (isCut(Thread.currentThread().getThreadGroup())) throw new IOException(CUT_OFF);
  }

  @Override
  public DatagramChannel openDatagramChannel() throws IOException {
    return java.openDatagramChannel();
  }

  @Override
  public DatagramChannel openDatagramChannel(ProtocolFamily family) throws IOException {
    return java.openDatagramChannel(family);
  }

  @Override
  public Pipe openPipe() throws IOException {
    return java.openPipe();
  }

  @Override
  public AbstractSelector openSelector() throws IOException {
    return java.openSelector();
  }

  @Override
  public ServerSocketChannel openServerSocketChannel() throws IOException {
    return java.openServerSocketChannel();
  }

  @Override
  public ServerSocketChannel openServerSocketChannel(ProtocolFamily family) throws IOException {
    return java.openServerSocketChannel(family);
  }
}
