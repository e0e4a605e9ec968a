package kafkalab.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * A member of a consumer group on the KIP-848 protocol (group.protocol=consumer): the broker computes
 * the assignment, and the client calls the rebalance listener once per reconciliation step with only
 * the partitions that moved. Offsets are auto-committed every second.
 */
final class GroupMember extends Member implements ConsumerRebalanceListener {
  private KafkaConsumer<byte[], byte[]> consumer;
  /**
   * Steps the listener reported during the current poll, each as it was when its callback ran: two
   * steps may land in one poll, and each reports its own owned set and epoch, not the poll's final ones.
   */
  private record Step(List<TopicPartition> revoked, List<TopicPartition> assigned, Set<TopicPartition> owned, int epoch) {}
  private final List<Step> steps = new ArrayList<>();
  private List<TopicPartition> pendingRevoked = new ArrayList<>();
  private boolean joined;
  /** The epoch of the last step reported (0 before the first), and one seen since without a step. */
  private int reportedEpoch;
  private int pendingEpoch = -1;
  private long pendingSince;
  private static final long EPOCH_SETTLE_MS = 500;

  GroupMember(String key, JsonNode spec, long startId, Host host) {
    super(key, spec, startId, host);
  }

  @Override
  void open() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, spec.path("bootstrap").asText());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, spec.path("groupId").asText());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, spec.path("clientId").asText());
    p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, spec.path("fromBeginning").asBoolean() ? "earliest" : "latest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true");
    p.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "1000");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    consumer = new KafkaConsumer<>(p);
    consumer.subscribe(topics(spec), this);
  }

  @Override
  void turn() {
    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(POLL_MS));
    ConsumerGroupMetadata meta = consumer.groupMetadata();
    int epoch = meta.generationId();
    if (!joined && epoch > 0 && !meta.memberId().isEmpty()) {
      joined = true;
      ObjectNode o = Out.obj();
      o.put("memberId", meta.memberId());
      o.put("memberEpoch", epoch);
      out.event("joined", key, o);
    }
    // One event per reconciliation step the listener reported, with its own epoch and owned set (an
    // epoch not yet known in the callback, 0 or less, is the one after the poll).
    long now = System.currentTimeMillis();
    for (Step s : steps) {
      report(meta.memberId(), s.epoch() > 0 ? s.epoch() : epoch, s.revoked(), s.assigned(), s.owned());
    }
    if (!steps.isEmpty()) {
      steps.clear();
    } else if (reportedEpoch > 0 && epoch > 0 && epoch != reportedEpoch) {
      // The epoch rose with nothing moved (e.g. after a revocation, the coordinator bumps the
      // member once it let go). It rises a moment before a step's callbacks too: report it only
      // when no step followed within EPOCH_SETTLE_MS.
      if (epoch != pendingEpoch) {
        pendingEpoch = epoch;
        pendingSince = now;
      } else if (now - pendingSince >= EPOCH_SETTLE_MS) {
        report(meta.memberId(), epoch, List.of(), List.of(), consumer.assignment());
      }
    }
    if (!records.isEmpty()) {
      ObjectNode o = Out.obj();
      ArrayNode a = o.putArray("records");
      for (ConsumerRecord<byte[], byte[]> r : records) a.add(record(r, null));
      out.event("records", key, o);
    }
  }

  private void report(String memberId, int epoch, Collection<TopicPartition> revoked, Collection<TopicPartition> assigned, Collection<TopicPartition> owned) {
    ObjectNode o = Out.obj();
    o.put("memberId", memberId);
    o.put("memberEpoch", epoch);
    o.set("revoked", partitions(revoked));
    o.set("assigned", partitions(assigned));
    o.set("owned", partitions(owned));
    out.event("rebalanced", key, o);
    reportedEpoch = epoch;
    pendingEpoch = -1;
  }

  @Override
  public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
    pendingRevoked.addAll(partitions);
  }

  @Override
  public void onPartitionsLost(Collection<TopicPartition> partitions) {
    pendingRevoked.addAll(partitions);
  }

  @Override
  public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
    // The end of one reconciliation step: what was revoked before it, what it assigned, and what the
    // member owns and its epoch now (the listener runs inside poll, on this member's thread). The
    // owned set is made from the step itself too, whether or not assignment() already shows it.
    Set<TopicPartition> owned = new HashSet<>(consumer.assignment());
    owned.removeAll(pendingRevoked);
    owned.addAll(partitions);
    steps.add(new Step(pendingRevoked, new ArrayList<>(partitions), owned, consumer.groupMetadata().generationId()));
    pendingRevoked = new ArrayList<>();
  }

  @Override
  void close(long timeoutMs) {
    if (consumer != null) Compat.close(consumer, Duration.ofMillis(timeoutMs));
  }

  @Override
  void handle(Command c) {
    out.fail(c.id(), "A consumer-protocol member takes no '" + c.op() + "'.", "WRONG_STATE");
  }
}
