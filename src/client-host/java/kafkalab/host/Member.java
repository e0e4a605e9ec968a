package kafkalab.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * One hosted member: its own thread (the poll loop) in its own ThreadGroup. The Kafka client is built
 * on that thread, so the client's internal threads (its network/heartbeat thread) join the same group,
 * and a vanish can cut exactly this member off the network (Cutter). Kafka's clients are not
 * thread-safe: every command reaches the client through `commands`, drained by the loop between polls.
 */
abstract class Member implements Runnable {
  static final long POLL_MS = 150;

  /** A command for the loop, with the request id to answer. */
  record Command(String op, long id, JsonNode body) {}

  final String key;
  final JsonNode spec;
  final Host host;
  final Out out;
  final ThreadGroup group;
  final LinkedBlockingQueue<Command> commands = new LinkedBlockingQueue<>();
  private final long startId;
  private final CountDownLatch ended = new CountDownLatch(1);
  /** Set when the loop must end (left, vanished, JVM closing). */
  volatile boolean stopping;
  private Thread thread;

  Member(String key, JsonNode spec, long startId, Host host) {
    this.key = key;
    this.spec = spec;
    this.host = host;
    this.out = host.out;
    this.startId = startId;
    this.group = new ThreadGroup("klab-member-" + key);
  }

  void start() {
    thread = new Thread(group, this, "klab-member-" + key);
    thread.setDaemon(true);
    thread.start();
  }

  /** Builds and subscribes the client (on the member's thread). */
  abstract void open() throws Exception;

  /** One turn of the loop: poll, or wait while manual records are held. */
  abstract void turn() throws Exception;

  /** Closes the client; a graceful close leaves the group. */
  abstract void close(long timeoutMs);

  /** Handles ops other than leave and vanish; answers them. */
  abstract void handle(Command c) throws Exception;

  @Override
  public final void run() {
    try {
      open();
    } catch (Throwable t) {
      // Out of the host's table before the server hears of it: a start it retries under the same key
      // must not be refused as a duplicate.
      host.forget(this);
      out.fail(startId, "The member could not start: " + Out.sentence(t), "START_FAILED");
      quietClose(0);
      Cutter.forget(group);
      ended.countDown();
      return;
    }
    out.ok(startId);
    try {
      while (!stopping) {
        Command c;
        while (!stopping && (c = commands.poll()) != null) dispatch(c);
        if (!stopping) turn();
      }
    } catch (Throwable t) {
      // Forgotten before the server hears of the crash: its replacement (same key, after a 1 s backoff)
      // must not be refused as a duplicate while this client still closes (up to 2 s).
      host.forget(this);
      ObjectNode o = Out.obj();
      o.put("reason", "its Java client failed: " + Out.sentence(t));
      out.event("crashed", key, o);
      quietClose(2_000);
      Cutter.forget(group);
    } finally {
      ended.countDown();
    }
  }

  private void dispatch(Command c) throws Exception {
    switch (c.op()) {
      case "leave" -> {
        stopping = true;
        close(c.body().path("timeoutMs").asLong(10_000));
        Cutter.forget(group);
        host.forget(this);
        if (c.id() >= 0) out.ok(c.id());
      }
      case "vanish" -> vanish(c);
      default -> handle(c);
    }
  }

  /**
   * Cuts the member off the network (Cutter): its client can send nothing more, not even a leave,
   * so its group notices only at the session timeout, as after a crash. Answers at once; once the
   * group has surely fenced it (`freeAfterMs`), the client is closed to free its memory (the leave
   * it tries cannot reach Kafka).
   */
  private void vanish(Command c) {
    if (!Cutter.installed()) {
      out.fail(c.id(), "The client host runs without its network cutter, so a member cannot vanish without leaving.", "UNSUPPORTED");
      return;
    }
    stopping = true;
    host.forget(this);
    Cutter.cut(group);
    out.ok(c.id());
    try {
      Thread.sleep(c.body().path("freeAfterMs").asLong(60_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    quietClose(1_000);
    Cutter.forget(group);
  }

  /** Called by the host when the JVM closes: a last leave with a short deadline. */
  void closeNow(long timeoutMs) {
    Command c = new Command("leave", -1, Out.obj().put("timeoutMs", timeoutMs));
    commands.add(c);
  }

  boolean awaitEnd(long ms) throws InterruptedException {
    return ended.await(ms, TimeUnit.MILLISECONDS);
  }

  void quietClose(long timeoutMs) {
    try {
      close(timeoutMs);
    } catch (Throwable ignored) {
      // the member is gone either way
    }
  }

  /** Waits for the next command up to `ms` (the loop of a member that must not poll now). */
  void idle(long ms) throws Exception {
    Command c = commands.poll(ms, TimeUnit.MILLISECONDS);
    if (c != null) dispatch(c);
  }

  // ---- JSON shapes shared by both kinds ----------------------------------------------------------

  static ObjectNode record(ConsumerRecord<byte[], byte[]> r, Integer deliveryCount) {
    ObjectNode o = Out.obj();
    o.put("topic", r.topic());
    o.put("partition", r.partition());
    o.put("offset", Long.toString(r.offset()));
    o.put("key", r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
    o.put("value", r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8));
    ObjectNode h = o.putObject("headers");
    for (Header header : r.headers()) {
      h.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
    }
    o.put("timestamp", Long.toString(r.timestamp()));
    if (deliveryCount != null) o.put("deliveryCount", deliveryCount);
    return o;
  }

  /** Partitions as the API shows them: [{ topic, partitions: [n] }], sorted. */
  static ArrayNode partitions(Collection<TopicPartition> tps) {
    Map<String, TreeSet<Integer>> byTopic = new TreeMap<>();
    for (TopicPartition tp : tps) byTopic.computeIfAbsent(tp.topic(), t -> new TreeSet<>()).add(tp.partition());
    ArrayNode a = Out.JSON.createArrayNode();
    for (Map.Entry<String, TreeSet<Integer>> e : byTopic.entrySet()) {
      ObjectNode o = a.addObject();
      o.put("topic", e.getKey());
      ArrayNode ps = o.putArray("partitions");
      for (int p : e.getValue()) ps.add(p);
    }
    return a;
  }

  static List<String> topics(JsonNode spec) {
    List<String> topics = new ArrayList<>();
    for (JsonNode t : spec.path("topics")) topics.add(t.asText());
    return topics;
  }
}
