package kafkalab.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The only calls that differ between Kafka 4.x releases, made by reflection so that the host compiles
 * against the kafka-clients of every 4.x (it is compiled against the running Kafka's jars):
 * - share group start offsets: Admin.listShareGroupOffsets came in 4.1 (answering OffsetAndMetadata),
 *   its answer became SharePartitionOffsetInfo in 4.2; 4.0 has neither (offsets are then unknown);
 * - a consumer's close: close(CloseOptions) came in 4.1 and close(Duration) is deprecated since; 4.0
 *   has only close(Duration). Both leave the group;
 * - epochs in share group descriptions (groupEpoch, targetAssignmentEpoch, a member's memberEpoch)
 *   came in 4.1; 4.0 answers them as unknown (null);
 * - a share consumer's record lock duration (KafkaShareConsumer.acquisitionLockTimeoutMs) came in 4.2.
 * The methods are looked up once, when the class loads; `paths()` names what was found (the host's
 * `ready` line carries it, and a test checks it for every 4.x line).
 */
final class Compat {
  private Compat() {}

  /** Admin.listShareGroupOffsets(Map), the spec's constructor, and the result's per-group accessor; null on 4.0. */
  private static final Method LIST_SHARE_OFFSETS;
  private static final java.lang.reflect.Constructor<?> SHARE_OFFSETS_SPEC;
  private static final Method SHARE_OFFSETS_OF_GROUP;
  /** CloseOptions.timeout(Duration) and KafkaConsumer.close(CloseOptions); null on 4.0. */
  private static final Method CLOSE_OPTIONS_TIMEOUT;
  private static final Method CLOSE_WITH_OPTIONS;
  /** KafkaShareConsumer.acquisitionLockTimeoutMs() (an Optional of the broker's record lock); null before 4.2. */
  private static final Method ACQUISITION_LOCK_TIMEOUT;

  static {
    Method list = null;
    java.lang.reflect.Constructor<?> spec = null;
    Method ofGroup = null;
    try {
      spec = Class.forName("org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec").getConstructor();
      list = Admin.class.getMethod("listShareGroupOffsets", Map.class);
      ofGroup = method(Class.forName("org.apache.kafka.clients.admin.ListShareGroupOffsetsResult"), "partitionsToOffsetInfo", "partitionsToOffsetAndMetadata");
    } catch (ReflectiveOperationException e) {
      list = null;
      ofGroup = null;
    }
    LIST_SHARE_OFFSETS = list;
    SHARE_OFFSETS_SPEC = spec;
    SHARE_OFFSETS_OF_GROUP = ofGroup;
    Method timeout = null;
    Method close = null;
    try {
      Class<?> options = Class.forName("org.apache.kafka.clients.consumer.CloseOptions");
      timeout = options.getMethod("timeout", Duration.class);
      close = KafkaConsumer.class.getMethod("close", options);
    } catch (ReflectiveOperationException e) {
      timeout = null;
      close = null;
    }
    CLOSE_OPTIONS_TIMEOUT = timeout;
    CLOSE_WITH_OPTIONS = close;
    Method lock;
    try {
      lock = KafkaShareConsumer.class.getMethod("acquisitionLockTimeoutMs");
    } catch (ReflectiveOperationException e) {
      lock = null;
    }
    ACQUISITION_LOCK_TIMEOUT = lock;
  }

  /** Which call of each kind this Kafka's clients take. */
  static ObjectNode paths() {
    return Out.obj()
        .put("shareOffsets", SHARE_OFFSETS_OF_GROUP == null ? "none" : SHARE_OFFSETS_OF_GROUP.getName())
        .put("close", CLOSE_WITH_OPTIONS == null ? "close(Duration)" : "close(CloseOptions)")
        .put("lockTimeout", ACQUISITION_LOCK_TIMEOUT == null ? "none" : ACQUISITION_LOCK_TIMEOUT.getName());
  }

  /**
   * The share group's start offset per partition (a null value: the group has no state there), or
   * null when this Kafka's Admin cannot list share group offsets (4.0).
   */
  static Map<TopicPartition, Long> shareStartOffsets(Admin admin, String groupId, long timeoutS) throws Exception {
    if (SHARE_OFFSETS_OF_GROUP == null) return null;
    Object result = call(LIST_SHARE_OFFSETS, admin, Map.of(groupId, SHARE_OFFSETS_SPEC.newInstance()));
    Map<?, ?> info = (Map<?, ?>) ((KafkaFuture<?>) call(SHARE_OFFSETS_OF_GROUP, result, groupId)).get(timeoutS, TimeUnit.SECONDS);
    Map<TopicPartition, Long> offsets = new HashMap<>();
    for (Map.Entry<?, ?> e : info.entrySet()) offsets.put((TopicPartition) e.getKey(), startOffset(e.getValue()));
    return offsets;
  }

  private static Long startOffset(Object value) throws Exception {
    if (value == null) return null;
    if (value instanceof OffsetAndMetadata om) return om.offset();
    return (Long) call(value.getClass().getMethod("startOffset"), value);
  }

  /** Closes the consumer within `timeout`, leaving its group. */
  static void close(KafkaConsumer<?, ?> consumer, Duration timeout) {
    try {
      if (CLOSE_WITH_OPTIONS != null) call(CLOSE_WITH_OPTIONS, consumer, CLOSE_OPTIONS_TIMEOUT.invoke(null, timeout));
      else call(KafkaConsumer.class.getMethod("close", Duration.class), consumer, timeout);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("this Kafka's KafkaConsumer has no close we know: " + e, e);
    }
  }

  /**
   * The broker's record lock duration as the share consumer learnt it from its group, or null when
   * this Kafka's client cannot tell (before 4.2) or has not learnt it yet.
   */
  static Long acquisitionLockTimeoutMs(KafkaShareConsumer<?, ?> consumer) {
    if (ACQUISITION_LOCK_TIMEOUT == null) return null;
    try {
      Object v = ACQUISITION_LOCK_TIMEOUT.invoke(consumer);
      return v instanceof Optional<?> opt && opt.isPresent() && opt.get() instanceof Number n ? n.longValue() : null;
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  /** An int-valued accessor of a group or member description (e.g. "memberEpoch"), or null when this Kafka's has none. */
  static Integer epoch(Object description, String accessor) {
    try {
      Object v = description.getClass().getMethod(accessor).invoke(description);
      return v instanceof Integer i ? i : null;
    } catch (ReflectiveOperationException e) {
      return null;
    }
  }

  private static Method method(Class<?> c, String... names) throws NoSuchMethodException {
    for (String n : names) {
      try {
        return c.getMethod(n, String.class);
      } catch (NoSuchMethodException e) {
        // an older name: try the next
      }
    }
    throw new NoSuchMethodException(c.getName() + " has none of " + String.join(", ", names));
  }

  /** Invokes, and throws what the called method threw (not a reflection wrapper). */
  private static Object call(Method m, Object target, Object... args) throws Exception {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof Exception x) throw x;
      if (e.getCause() instanceof Error x) throw x;
      throw e;
    }
  }
}
