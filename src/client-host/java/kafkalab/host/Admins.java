package kafkalab.host;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** The host's one Admin client (thread-safe) for one bootstrap: group descriptions and group configs. */
final class Admins implements AutoCloseable {
  private static final long TIMEOUT_S = 15;

  final String bootstrap;
  private final Admin admin;

  Admins(String bootstrap) {
    this.bootstrap = bootstrap;
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, "klab-client-host-admin");
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
    this.admin = Admin.create(p);
  }

  /** A share group reads from the start of its partitions when it has no state yet (default: latest). */
  void readFromBeginning(String groupId) throws Exception {
    ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
    AlterConfigOp set = new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"), AlterConfigOp.OpType.SET);
    admin.incrementalAlterConfigs(Map.of(group, List.of(set))).all().get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  ArrayNode listGroups() throws Exception {
    ArrayNode a = Out.JSON.createArrayNode();
    for (GroupListing g : admin.listGroups(new ListGroupsOptions()).all().get(TIMEOUT_S, TimeUnit.SECONDS)) {
      ObjectNode o = a.addObject();
      o.put("groupId", g.groupId());
      o.put("type", type(g.type()));
      o.put("state", g.groupState().map(Object::toString).orElse("Unknown"));
    }
    return a;
  }

  /**
   * null when no group of that id exists. The type is found by asking: a consumer-protocol or classic
   * group answers DescribeConsumerGroups, a share group DescribeShareGroups (each says "not found" for
   * the other's groups), so describing one group costs one or two calls, never a listing of every group.
   * Only a group neither knows (a streams group, a type Kafka added later, or none) is looked up in the list.
   */
  ObjectNode describe(String groupId) throws Exception {
    ObjectNode o = Out.obj();
    o.put("groupId", groupId);
    o.put("protocol", "");
    o.putNull("groupEpoch");
    o.putNull("targetAssignmentEpoch");
    ArrayNode members = o.putArray("members");
    ConsumerGroupDescription c = orNotFound(admin.describeConsumerGroups(List.of(groupId)).describedGroups().get(groupId));
    if (c != null && c.groupState() != GroupState.DEAD) {
      o.put("type", type(Optional.ofNullable(c.type())));
      o.put("state", c.groupState().toString());
      o.put("protocol", c.partitionAssignor() == null ? "" : c.partitionAssignor());
      putOptional(o, "groupEpoch", c.groupEpoch());
      putOptional(o, "targetAssignmentEpoch", c.targetAssignmentEpoch());
      for (MemberDescription m : c.members()) {
        ObjectNode mo = members.addObject();
        mo.put("memberId", m.consumerId());
        mo.put("clientId", m.clientId());
        mo.put("clientHost", m.host());
        putOptional(mo, "memberEpoch", m.memberEpoch());
        mo.set("assignment", Member.partitions(m.assignment().topicPartitions()));
      }
      return o;
    }
    ShareGroupDescription d = orNotFound(admin.describeShareGroups(List.of(groupId)).describedGroups().get(groupId));
    if (d != null && d.groupState() != GroupState.DEAD) {
      o.put("type", "share");
      o.put("state", d.groupState().toString());
      o.put("groupEpoch", Compat.epoch(d, "groupEpoch"));
      o.put("targetAssignmentEpoch", Compat.epoch(d, "targetAssignmentEpoch"));
      for (ShareMemberDescription m : d.members()) {
        ObjectNode mo = members.addObject();
        mo.put("memberId", m.consumerId());
        mo.put("clientId", m.clientId());
        mo.put("clientHost", m.host());
        mo.put("memberEpoch", Compat.epoch(m, "memberEpoch"));
        mo.set("assignment", Member.partitions(m.assignment().topicPartitions()));
      }
      ArrayNode offsets = o.putArray("shareOffsets");
      // null: this Kafka cannot list share group offsets (4.0); each start offset is then unknown
      Map<TopicPartition, Long> info = Compat.shareStartOffsets(admin, groupId, TIMEOUT_S);
      Map<String, ObjectNode> sorted = new TreeMap<>();
      for (Map.Entry<TopicPartition, Long> e : (info == null ? Map.<TopicPartition, Long>of() : info).entrySet()) {
        ObjectNode so = Out.obj();
        so.put("topic", e.getKey().topic());
        so.put("partition", e.getKey().partition());
        if (e.getValue() == null) so.putNull("startOffset");
        else so.put("startOffset", Long.toString(e.getValue()));
        sorted.put(String.format("%s/%09d", e.getKey().topic(), e.getKey().partition()), so);
      }
      sorted.values().forEach(offsets::add);
      return o;
    }
    // Neither kind: a group of another type (streams), named with its type and state only, or none.
    for (GroupListing g : admin.listGroups(new ListGroupsOptions()).all().get(TIMEOUT_S, TimeUnit.SECONDS)) {
      if (!g.groupId().equals(groupId)) continue;
      o.put("type", type(g.type()));
      o.put("state", g.groupState().map(Object::toString).orElse("Unknown"));
      return o;
    }
    return null;
  }

  /** The description, or null when Kafka says there is no such group (of the kind asked). */
  private static <T> T orNotFound(KafkaFuture<T> f) throws Exception {
    try {
      return f.get(TIMEOUT_S, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GroupIdNotFoundException) return null;
      throw e;
    }
  }

  ShareGroupDescription shareGroup(String groupId) throws Exception {
    return admin.describeShareGroups(List.of(groupId)).describedGroups().get(groupId).get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  Map<String, ShareGroupDescription> shareGroups(Collection<String> groupIds) throws Exception {
    return admin.describeShareGroups(groupIds).all().get(TIMEOUT_S, TimeUnit.SECONDS);
  }

  /**
   * Ids of the share group's members with this client id now ([] when the group does not exist yet).
   * Any other failure (no answer in time, no coordinator) is thrown: an empty answer would let a dead
   * incarnation of ours be taken for the new member (see ShareMember.mayBe).
   */
  Set<String> shareMemberIds(String groupId, String clientId) throws Exception {
    Set<String> ids = new HashSet<>();
    ShareGroupDescription d;
    try {
      d = orNotFound(admin.describeShareGroups(List.of(groupId)).describedGroups().get(groupId));
    } catch (Exception e) {
      throw new IllegalStateException("the share group " + groupId + "'s members could not be listed (to tell an earlier run of this consumer apart): " + Out.sentence(e), e);
    }
    if (d == null) return ids;
    for (ShareMemberDescription m : d.members()) {
      if (m.clientId().equals(clientId)) ids.add(m.consumerId());
    }
    return ids;
  }

  private static void putOptional(ObjectNode o, String field, Optional<Integer> v) {
    if (v.isPresent()) o.put(field, v.get());
    else o.putNull(field);
  }

  private static String type(Optional<GroupType> t) {
    // by name: STREAMS came in 4.1, and a later Kafka may add more
    return t.map(x -> switch (x.name()) {
      case "CONSUMER", "CLASSIC", "SHARE", "STREAMS" -> x.name().toLowerCase(java.util.Locale.ROOT);
      default -> "unknown";
    }).orElse("unknown");
  }

  @Override
  public void close() {
    admin.close(Duration.ofSeconds(2));
  }
}
