import { KAFKA_ERRORS, KafkaCodeError } from '../kafka-error-codes';
import { API_KEYS, BrokerAddress, firstAnswering, request } from './kafka-connection';
import { Reader, Writer } from './wire';

/**
 * DescribeConfigs v4 for one topic, asked of any live broker (KRaft brokers answer from their metadata).
 * kafkajs's admin first refreshes the metadata of every topic it has looked at and gives up while one of
 * them has a partition without a leader, so a lab that killed the brokers of one topic could read no
 * topic's configs at all; this asks for the configs alone.
 */
export const DESCRIBE_CONFIGS_VERSION = 4;
const RESOURCE_TOPIC = 2;

export interface ConfigEntry {
  name: string;
  value: string | null;
  /** Kafka's ConfigSource: 1 set on the topic, 2-4 broker settings, 5 Kafka's default. */
  source: number;
  readOnly: boolean;
  sensitive: boolean;
}

export function encodeDescribeConfigsRequest(topic: string): Buffer {
  return new Writer(64)
    .compactArray([topic], (w, name) => {
      w.int8(RESOURCE_TOPIC).compactString(name).compactNullableArray(null, () => undefined).emptyTaggedFields();
    })
    .bool(false) // include_synonyms
    .bool(false) // include_documentation
    .emptyTaggedFields()
    .toBuffer();
}

/** The configs of the first resource of the answer, in the broker's order; its error as a KafkaCodeError. */
export function decodeDescribeConfigsResponse(r: Reader): ConfigEntry[] {
  r.int32(); // throttle_time_ms
  const results = r.compactArray((res) => {
    const errorCode = res.int16();
    const errorMessage = res.compactNullableString();
    res.int8(); // resource type
    res.compactString(); // resource name
    const configs = res.compactArray((c) => {
      const name = c.compactString();
      const value = c.compactNullableString();
      const readOnly = c.bool();
      const source = c.int8();
      const sensitive = c.bool();
      c.compactArray((s) => {
        s.compactString();
        s.compactNullableString();
        s.int8();
        s.skipTaggedFields();
      });
      c.int8(); // config type
      c.compactNullableString(); // documentation
      c.skipTaggedFields();
      const entry: ConfigEntry = { name, value, source, readOnly, sensitive };
      return entry;
    });
    res.skipTaggedFields();
    return { errorCode, errorMessage, configs };
  });
  r.skipTaggedFields();
  const first = results[0];
  if (!first) return [];
  if (first.errorCode !== KAFKA_ERRORS.NONE) throw new KafkaCodeError(first.errorCode, first.errorMessage ?? undefined);
  return first.configs;
}

/** A topic's configs from the first broker of `bootstrap` that answers. */
export function fetchTopicConfigs(
  bootstrap: readonly BrokerAddress[],
  topic: string,
  opts: { timeoutMs: number; clientId?: string; staggerMs?: number },
): Promise<ConfigEntry[]> {
  return firstAnswering(
    bootstrap,
    (b, timeoutMs, signal) =>
      request(b, API_KEYS.describeConfigs, DESCRIBE_CONFIGS_VERSION, encodeDescribeConfigsRequest(topic), { flexible: true, timeoutMs, clientId: opts.clientId, signal }, decodeDescribeConfigsResponse),
    opts,
  );
}
