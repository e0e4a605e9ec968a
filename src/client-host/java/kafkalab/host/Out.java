package kafkalab.host;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.PrintStream;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The only writer of the protocol stream (the JVM's real stdout). Every thread hands its line to a
 * lock-free queue and one writer thread prints them, so no member waits on another's output.
 */
final class Out implements Runnable {
  static final ObjectMapper JSON = new ObjectMapper();

  private final PrintStream stream;
  private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
  private final Thread writer;
  /** Lines the writer has printed and flushed; send() counts the ones handed in. */
  private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
  private volatile long written;

  Out(PrintStream stream) {
    this.stream = stream;
    this.writer = new Thread(this, "klab-out");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  static ObjectNode obj() {
    return JSON.createObjectNode();
  }

  void ok(long id, ObjectNode body) {
    ObjectNode o = body == null ? obj() : body;
    o.put("id", id);
    o.put("ok", true);
    send(o);
  }

  void ok(long id) {
    ok(id, null);
  }

  void fail(long id, String error, String code) {
    ObjectNode o = obj();
    o.put("id", id);
    o.put("ok", false);
    o.put("error", error);
    if (code != null) o.put("code", code);
    send(o);
  }

  /** An unsolicited event of one member. */
  void event(String ev, String member, ObjectNode body) {
    ObjectNode o = body == null ? obj() : body;
    o.put("ev", ev);
    if (member != null) o.put("member", member);
    send(o);
  }

  void send(ObjectNode o) {
    String line = o.toString();
    // Counted before queued: drain() then never sees a queued line as already written.
    sent.incrementAndGet();
    lines.add(line);
    LockSupport.unpark(writer);
  }

  /**
   * Waits (up to `ms`) until every line handed in so far is printed and flushed: before the JVM halts.
   * An empty queue is not enough: the writer may have taken the last line and still be printing it.
   */
  void drain(long ms) {
    long target = sent.get();
    long end = System.currentTimeMillis() + ms;
    while (written < target && System.currentTimeMillis() < end) {
      LockSupport.unpark(writer);
      LockSupport.parkNanos(2_000_000L);
    }
    stream.flush();
  }

  @Override
  public void run() {
    for (;;) {
      String line = lines.poll();
      if (line == null) {
        stream.flush();
        LockSupport.parkNanos(50_000_000L);
        continue;
      }
      stream.print(line);
      stream.print('\n');
      if (lines.isEmpty()) stream.flush();
      // Printed (drain's final flush covers a line printed while more were queued).
      written++;
    }
  }

  /** A Java failure as one line for people: the exception's class and message, never a stack trace. */
  static String sentence(Throwable t) {
    Throwable c = t;
    while ((c instanceof java.util.concurrent.ExecutionException || c instanceof java.util.concurrent.CompletionException) && c.getCause() != null) {
      c = c.getCause();
    }
    String msg = c.getMessage();
    String first = msg == null ? "" : msg.split("\n", 2)[0];
    return c.getClass().getSimpleName() + (first.isEmpty() ? "" : ": " + first);
  }
}
