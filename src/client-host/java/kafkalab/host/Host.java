package kafkalab.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Dispatches requests: member ops go to the member's own queue, admin ops to one admin thread, so the
 * stdin reader never waits on Kafka. The admin thread also watches share members (the share consumer
 * has no rebalance listener): it reports their joins and assignment changes from the group's description.
 */
final class Host {
  private static final long SHARE_WATCH_MS = 1_000;

  final Out out;
  private final Map<String, Member> members = new ConcurrentHashMap<>();
  /**
   * The one thread that creates and uses the Admin. Its ThreadGroup is the host's own, never a
   * member's: the Admin's network thread is created on it and joins its group, and a vanish cuts a
   * member's group off the network, which must not take the Admin with it.
   */
  private final ScheduledExecutorService adminThread;
  private Admins admins;

  Host(Out out) {
    this.out = out;
    ThreadGroup hostGroup = Thread.currentThread().getThreadGroup();
    this.adminThread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(hostGroup, r, "klab-admin");
      t.setDaemon(true);
      return t;
    });
    adminThread.scheduleWithFixedDelay(this::watchShareMembers, SHARE_WATCH_MS, SHARE_WATCH_MS, TimeUnit.MILLISECONDS);
  }

  void handle(String line) {
    long id = -1;
    try {
      JsonNode req = Out.JSON.readTree(line);
      id = req.path("id").asLong(-1);
      String op = req.path("op").asText();
      switch (op) {
        case "ping" -> {
          ObjectNode o = Out.obj();
          o.put("pid", ProcessHandle.current().pid());
          o.put("java", Runtime.version().feature());
          o.put("members", members.size());
          out.ok(id, o);
        }
        case "start" -> start(id, req);
        case "leave", "vanish", "ack" -> {
          Member m = members.get(req.path("member").asText());
          if (m == null) out.fail(id, "No member '" + req.path("member").asText() + "' runs in the client host.", "NO_MEMBER");
          else m.commands.add(new Member.Command(op, id, req));
        }
        case "describeGroup", "listGroups" -> admin(id, req);
        default -> out.fail(id, "Unknown op '" + op + "'.", "BAD_REQUEST");
      }
    } catch (Exception e) {
      out.fail(id, "The client host could not read the request: " + Out.sentence(e), "BAD_REQUEST");
    }
  }

  private void start(long id, JsonNode req) {
    String key = req.path("member").asText();
    if (members.containsKey(key)) {
      out.fail(id, "A member '" + key + "' already runs in the client host.", "DUPLICATE");
      return;
    }
    Member m = switch (req.path("protocol").asText()) {
      case "consumer" -> new GroupMember(key, req, id, this);
      case "share" -> new ShareMember(key, req, id, this);
      default -> null;
    };
    if (m == null) {
      out.fail(id, "Unknown protocol '" + req.path("protocol").asText() + "'.", "BAD_REQUEST");
      return;
    }
    members.put(key, m);
    m.start();
  }

  void forget(Member m) {
    members.remove(m.key, m);
  }

  /** Runs `work` with the Admin on the admin thread and waits for it (for a member's thread). */
  <T> T withAdmin(String bootstrap, AdminWork<T> work) throws Exception {
    try {
      return adminThread.submit(() -> work.run(admin(bootstrap))).get();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof Exception c ? c : e;
    }
  }

  interface AdminWork<T> {
    T run(Admins admins) throws Exception;
  }

  /** The Admin for this bootstrap (a new one when the cluster's address changed); admin thread only. */
  private Admins admin(String bootstrap) {
    if (admins == null || !admins.bootstrap.equals(bootstrap)) {
      Admins old = admins;
      admins = new Admins(bootstrap);
      if (old != null) old.close();
    }
    return admins;
  }

  private void admin(long id, JsonNode req) {
    adminThread.execute(() -> {
      try {
        Admins a = admin(req.path("bootstrap").asText());
        ObjectNode o = Out.obj();
        if ("listGroups".equals(req.path("op").asText())) o.set("groups", a.listGroups());
        else o.set("group", a.describe(req.path("groupId").asText()));
        out.ok(id, o);
      } catch (Exception e) {
        out.fail(id, Out.sentence(e), "KAFKA");
      }
    });
  }

  /** Joins and assignment changes of share members, read from their groups' descriptions. */
  private void watchShareMembers() {
    Map<String, ShareMember> byClient = new HashMap<>();
    Set<String> groups = new HashSet<>();
    String bootstrap = null;
    for (Member m : members.values()) {
      if (m instanceof ShareMember s && !s.stopping) {
        byClient.put(s.spec.path("clientId").asText(), s);
        groups.add(s.spec.path("groupId").asText());
        bootstrap = s.spec.path("bootstrap").asText();
      }
    }
    if (groups.isEmpty()) return;
    try {
      for (ShareGroupDescription g : admin(bootstrap).shareGroups(groups).values()) {
        for (ShareMemberDescription d : g.members()) {
          ShareMember s = byClient.get(d.clientId());
          Integer epoch = Compat.epoch(d, "memberEpoch");
          if (s != null && !s.stopping && s.mayBe(d.consumerId())) s.observed(d.consumerId(), epoch == null ? -1 : epoch, d.assignment().topicPartitions());
        }
      }
    } catch (Exception e) {
      // a busy or restarting cluster: the next look will tell
    }
  }

  /** stdin closed (the server is gone): every member leaves within a short deadline. */
  void closeAll(long ms) {
    List<Member> all = List.copyOf(members.values());
    for (Member m : all) m.closeNow(ms);
    long end = System.currentTimeMillis() + ms + 500;
    for (Member m : all) {
      try {
        m.awaitEnd(Math.max(1, end - System.currentTimeMillis()));
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
