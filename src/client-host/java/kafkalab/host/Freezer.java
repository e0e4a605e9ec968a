package kafkalab.host;

import java.util.ArrayList;
import java.util.List;

/**
 * Freezes a member's threads for a vanish: Thread.suspend/stop, which Java 17-19 still run (Java 20+
 * throws UnsupportedOperationException). A frozen client sends nothing, not even a leave, so its
 * group notices only at the session timeout, as after a real crash.
 */
@SuppressWarnings({"deprecation", "removal"})
final class Freezer {
  private Freezer() {}

  static boolean supported() {
    return Runtime.version().feature() < 20;
  }

  static String unsupportedSentence() {
    return "A kill (vanish without leaving) needs Java 17 to 19 for the client host, but it runs on Java "
        + Runtime.version().feature() + ": set JAVA_HOME to a Java 17.";
  }

  /** Suspends every live thread of `group` but the caller's; returns them. */
  static List<Thread> freezeOthers(ThreadGroup group) {
    List<Thread> frozen = new ArrayList<>();
    // Threads may start while we look (a reconnect): look again until a pass finds no new one.
    for (int pass = 0; pass < 5; pass++) {
      Thread[] seen = new Thread[group.activeCount() + 8];
      int n = group.enumerate(seen, true);
      int added = 0;
      for (int i = 0; i < n; i++) {
        Thread t = seen[i];
        if (t == Thread.currentThread() || frozen.contains(t)) continue;
        t.suspend();
        frozen.add(t);
        added++;
      }
      if (added == 0) break;
    }
    return frozen;
  }

  /** Ends frozen threads without letting them run their code on: stop, then resume to deliver it. */
  static void kill(List<Thread> frozen) {
    for (Thread t : frozen) {
      try {
        t.stop();
      } catch (Throwable ignored) {
        // already gone
      }
    }
    for (Thread t : frozen) t.resume();
  }
}
