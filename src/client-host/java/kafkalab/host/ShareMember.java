package kafkalab.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;

/**
 * A member of a share group (KIP-932). `auto`: implicit acknowledgement, every record delivered is
 * accepted by the next poll. `manual`: explicit acknowledgement; the member holds what one poll gave
 * (max.poll.records 1, share.acquire.mode=record_limit, so members of one partition get different
 * records) and does not poll again until each is acknowledged through the `ack` op, or until the
 * record lock ran out: then Kafka has given the record back and the member gives it up too.
 */
final class ShareMember extends Member {
  /** After the lock's end, a little time for the broker to have released it before we give it up. */
  private static final long LOCK_MARGIN_MS = 250;
  private static final Set<String> ACK_TYPES = Set.of("accept", "release", "reject");

  private KafkaShareConsumer<byte[], byte[]> consumer;
  private boolean manual;
  private long lockMs;
  /** manual: records of the last poll not yet acknowledged, by "topic/partition/offset". */
  private final Map<String, ConsumerRecord<byte[], byte[]>> held = new LinkedHashMap<>();
  private long heldSince;
  /** Acknowledgement types we sent, by "topic/partition/offset", to name them when Kafka confirms. */
  private final Map<String, String> sentTypes = new HashMap<>();
  /** Records given up at the lock's end: their refused release is not reported as an acknowledgement. */
  private final Set<String> givenUp = new HashSet<>();

  ShareMember(String key, JsonNode spec, long startId, Host host) {
    super(key, spec, startId, host);
  }

  @Override
  void open() throws Exception {
    manual = "manual".equals(spec.path("ack").asText());
    String groupId = spec.path("groupId").asText();
    String clientId = spec.path("clientId").asText();
    stale = host.withAdmin(spec.path("bootstrap").asText(), a -> {
      if (spec.path("fromBeginning").asBoolean()) a.readFromBeginning(groupId);
      return a.shareMemberIds(groupId, clientId);
    });
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.path("bootstrap").asText());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
    p.put("share.acknowledgement.mode", manual ? "explicit" : "implicit");
    // KIP-1206: without it one poll may acquire a whole record batch, and one member takes everything.
    p.put("share.acquire.mode", "record_limit");
    p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, manual ? "1" : "5");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    consumer = new KafkaShareConsumer<>(p);
    consumer.setAcknowledgementCommitCallback(this::committed);
    consumer.subscribe(topics(spec));
    lockMs = spec.path("lockMs").asLong(30_000);
  }

  @Override
  void turn() throws Exception {
    if (manual && !held.isEmpty()) {
      if (System.currentTimeMillis() - heldSince > lockMs() + LOCK_MARGIN_MS) giveUpHeld();
      else idle(POLL_MS);
      return;
    }
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(POLL_MS));
    if (records.isEmpty()) return;
    heldSince = System.currentTimeMillis();
    ObjectNode o = Out.obj();
    ArrayNode a = o.putArray("records");
    for (ConsumerRecord<byte[], byte[]> r : records) {
      a.add(record(r, r.deliveryCount().orElse((short) 1).intValue()));
      if (manual) held.put(id(r.topic(), r.partition(), r.offset()), r);
      else sentTypes.put(id(r.topic(), r.partition(), r.offset()), "accept");
    }
    out.event("records", key, o);
  }

  /** The broker's record lock (the client learns it from the group), else what the server told us. */
  private long lockMs() {
    Long broker = Compat.acquisitionLockTimeoutMs(consumer);
    return broker != null ? broker : lockMs;
  }

  /** The lock ran out: Kafka gave the records back; release them locally so poll() may run again. */
  private void giveUpHeld() {
    ObjectNode o = Out.obj();
    ArrayNode a = o.putArray("records");
    for (Map.Entry<String, ConsumerRecord<byte[], byte[]>> e : held.entrySet()) {
      ConsumerRecord<byte[], byte[]> r = e.getValue();
      consumer.acknowledge(r, AcknowledgeType.RELEASE);
      givenUp.add(e.getKey());
      ObjectNode rec = a.addObject();
      rec.put("topic", r.topic());
      rec.put("partition", r.partition());
      rec.put("offset", Long.toString(r.offset()));
    }
    held.clear();
    out.event("lockExpired", key, o);
  }

  @Override
  void handle(Command c) {
    if (!"ack".equals(c.op())) {
      out.fail(c.id(), "A share member takes no '" + c.op() + "'.", "WRONG_STATE");
      return;
    }
    if (!manual) {
      out.fail(c.id(), "This share consumer acknowledges automatically (ack: auto); only a consumer started with ack: manual takes acknowledgements.", "WRONG_STATE");
      return;
    }
    List<String> missing = new ArrayList<>();
    for (JsonNode a : c.body().path("acks")) {
      if (!ACK_TYPES.contains(a.path("type").asText())) {
        out.fail(c.id(), "An acknowledgement type is accept, release or reject, not '" + a.path("type").asText() + "'.", "BAD_REQUEST");
        return;
      }
      String k = id(a.path("topic").asText(), a.path("partition").asInt(), a.path("offset").asLong());
      if (!held.containsKey(k)) missing.add(a.path("topic").asText() + "-" + a.path("partition").asInt() + " offset " + a.path("offset").asText());
    }
    if (!missing.isEmpty()) {
      out.fail(c.id(), "This consumer does not hold " + String.join(", ", missing)
          + (held.isEmpty() ? " (it holds no record now)" : " (it holds " + String.join(", ", held.keySet()) + ")")
          + ": it may have been acknowledged already, or its lock ran out.", "NOT_HELD");
      return;
    }
    // Per partition and type, as the answer shows it.
    Map<String, ObjectNode> results = new LinkedHashMap<>();
    for (JsonNode a : c.body().path("acks")) {
      String k = id(a.path("topic").asText(), a.path("partition").asInt(), a.path("offset").asLong());
      ConsumerRecord<byte[], byte[]> r = held.remove(k);
      String type = a.path("type").asText();
      consumer.acknowledge(r, AcknowledgeType.valueOf(type.toUpperCase()));
      sentTypes.put(k, type);
      addResult(results, r.topic(), r.partition(), type, r.offset());
    }
    Map<TopicIdPartition, Optional<KafkaException>> said;
    try {
      said = consumer.commitSync(Duration.ofSeconds(10));
    } catch (KafkaException e) {
      // No answer from Kafka (e.g. a timeout): the records are no longer this member's to acknowledge.
      for (ObjectNode res : results.values()) res.put("error", Out.sentence(e));
      said = Map.of();
    }
    for (Map.Entry<TopicIdPartition, Optional<KafkaException>> e : said.entrySet()) {
      if (e.getValue().isEmpty()) continue;
      for (ObjectNode res : results.values()) {
        if (res.get("topic").asText().equals(e.getKey().topic()) && res.get("partition").asInt() == e.getKey().partition()) {
          res.put("error", Out.sentence(e.getValue().get()));
        }
      }
    }
    ObjectNode body = Out.obj();
    ArrayNode arr = body.putArray("results");
    results.values().forEach(arr::add);
    out.ok(c.id(), body);
  }

  /** Kafka's word on acknowledgements (explicit or implicit): runs on this member's thread. */
  private void committed(Map<TopicIdPartition, Set<Long>> offsets, Exception error) {
    Map<String, ObjectNode> results = new LinkedHashMap<>();
    for (Map.Entry<TopicIdPartition, Set<Long>> e : offsets.entrySet()) {
      TopicIdPartition tp = e.getKey();
      for (long offset : e.getValue()) {
        String k = id(tp.topic(), tp.partition(), offset);
        if (givenUp.remove(k)) continue;
        String type = sentTypes.getOrDefault(k, "accept");
        sentTypes.remove(k);
        ObjectNode res = addResult(results, tp.topic(), tp.partition(), type, offset);
        if (error != null) res.put("error", Out.sentence(error));
      }
    }
    if (results.isEmpty()) return;
    ObjectNode o = Out.obj();
    ArrayNode a = o.putArray("results");
    results.values().forEach(a::add);
    out.event("acknowledged", key, o);
  }

  // ---- membership, as the group's description shows it (called on the host's admin thread) -------

  private boolean joined;
  private Set<TopicPartition> owned = Set.of();
  /**
   * Members of the group with our client id before we subscribed: an earlier incarnation of this
   * consumer (a JVM that died) that the group keeps until its session times out. Not us. null until
   * open() has looked: till then any member with our client id may be such a dead one.
   */
  private volatile Set<String> stale;

  /** Whether a member of the group's description with our client id can be this one. */
  boolean mayBe(String memberId) {
    Set<String> s = stale;
    return s != null && !s.contains(memberId);
  }
  private int lastEpoch = -1;

  void observed(String memberId, int epoch, Set<TopicPartition> now) {
    if (!joined) {
      if (epoch <= 0) return;
      joined = true;
      ObjectNode o = Out.obj();
      o.put("memberId", memberId);
      o.put("memberEpoch", epoch);
      out.event("joined", key, o);
    }
    // A step: partitions moved, or the member's epoch rose (the first look, with nothing yet, is the join).
    if (now.equals(owned) && (epoch == lastEpoch || (lastEpoch < 0 && now.isEmpty()))) {
      lastEpoch = epoch;
      return;
    }
    Set<TopicPartition> assigned = new HashSet<>(now);
    assigned.removeAll(owned);
    Set<TopicPartition> revoked = new HashSet<>(owned);
    revoked.removeAll(now);
    ObjectNode o = Out.obj();
    o.put("memberId", memberId);
    o.put("memberEpoch", epoch);
    o.set("assigned", partitions(assigned));
    o.set("revoked", partitions(revoked));
    o.set("owned", partitions(now));
    out.event("rebalanced", key, o);
    owned = Set.copyOf(now);
    lastEpoch = epoch;
  }

  @Override
  void close(long timeoutMs) {
    if (consumer != null) consumer.close(Duration.ofMillis(timeoutMs));
  }

  /** Acknowledgement results are shown per partition and type: { topic, partition, offsets, type }. */
  private static ObjectNode addResult(Map<String, ObjectNode> results, String topic, int partition, String type, long offset) {
    ObjectNode res = results.computeIfAbsent(topic + "/" + partition + "/" + type, x -> {
      ObjectNode n = Out.obj();
      n.put("topic", topic);
      n.put("partition", partition);
      n.putArray("offsets");
      n.put("type", type);
      return n;
    });
    ((ArrayNode) res.get("offsets")).add(Long.toString(offset));
    return res;
  }

  private static String id(String topic, int partition, long offset) {
    return topic + "-" + partition + "/" + offset;
  }
}
