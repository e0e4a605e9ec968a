package kafkalab.host;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The only calls that differ between Kafka 4.x releases, made by reflection so that the host compiles
 * against the kafka-clients of every 4.x (it is compiled against the running Kafka's jars):
 * - share group start offsets: Admin.listShareGroupOffsets came in 4.1 (answering OffsetAndMetadata),
 *   its answer became SharePartitionOffsetInfo in 4.2; 4.0 has neither (offsets are then unknown);
 * - a consumer's close: close(CloseOptions) came in 4.1 and close(Duration) is deprecated since; 4.0
 *   has only close(Duration). Both leave the group;
 * - epochs in share group descriptions (groupEpoch, targetAssignmentEpoch, a member's memberEpoch)
 *   came in 4.1; 4.0 answers them as unknown (null).
 */
final class Compat {
  private Compat() {}

  /**
   * The share group's start offset per partition (a null value: the group has no state there), or
   * null when this Kafka's Admin cannot list share group offsets (4.0).
   */
  static Map<TopicPartition, Long> shareStartOffsets(Admin admin, String groupId, long timeoutS) throws Exception {
    Class<?> specClass;
    try {
      specClass = Class.forName("org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec");
    } catch (ClassNotFoundException e) {
      return null;
    }
    Object result = call(Admin.class.getMethod("listShareGroupOffsets", Map.class), admin, Map.of(groupId, specClass.getConstructor().newInstance()));
    Method partitions = method(result.getClass(), "partitionsToOffsetInfo", "partitionsToOffsetAndMetadata");
    Map<?, ?> info = (Map<?, ?>) ((KafkaFuture<?>) call(partitions, result, groupId)).get(timeoutS, TimeUnit.SECONDS);
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
      Class<?> options;
      try {
        options = Class.forName("org.apache.kafka.clients.consumer.CloseOptions");
      } catch (ClassNotFoundException e) {
        call(KafkaConsumer.class.getMethod("close", Duration.class), consumer, timeout);
        return;
      }
      call(KafkaConsumer.class.getMethod("close", options), consumer, options.getMethod("timeout", Duration.class).invoke(null, timeout));
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("this Kafka's KafkaConsumer has no close we know: " + e, e);
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
