import type { ConsumerProtocol } from './consumer.types';

/** The first Kafka release each protocol works on here (KAFKAJS-NOTES "Kafka 4.x facts"). */
const NEEDS: Record<Exclude<ConsumerProtocol, 'classic'>, { major: number; minor: number; what: string; why?: string }> = {
  // KIP-848 is generally available from 4.0.
  consumer: { major: 4, minor: 0, what: 'The consumer group protocol (KIP-848) needs' },
  // 4.0's share RPCs are early access and incompatible with the 4.1+ clients. 4.1's (a preview) run,
  // but its share consumer has no share.acquire.mode=record_limit (KIP-1206, 4.2): one poll acquires
  // a whole record batch, and tried on 4.1.1, one manual member of three took all 6 records of a
  // produce while the others got none, which Lab G's queue cannot teach.
  share: {
    major: 4, minor: 2, what: 'Share groups (KIP-932) need',
    why: 'before 4.2 a share consumer acquires whole record batches, so one member takes every record of a batch',
  },
};

/**
 * Why `protocol` cannot run on a cluster of `kafkaVersion` (a sentence), or null when it can.
 * `formattedBy`: the 3.x release that formatted the cluster's data, when a 4.x runs it since.
 */
export function protocolRefusal(protocol: ConsumerProtocol, kafkaVersion: string, formattedBy: string | null = null): string | null {
  if (protocol === 'classic') return null;
  if (formattedBy) {
    // Kafka keeps the feature levels (group.version, share.version) the cluster was formatted with.
    return `This cluster's data was formatted by Kafka ${formattedBy}, which has no ${protocol === 'share' ? 'share groups' : 'consumer group protocol'}: Kafka ${kafkaVersion} runs it with those features still off. Reset the cluster (POST /api/cluster/reset deletes its topics and starts it fresh on Kafka ${kafkaVersion}) or use "protocol": "classic".`;
  }
  const need = NEEDS[protocol];
  const m = /^(\d+)\.(\d+)/.exec(kafkaVersion);
  // A version we cannot read (an external cluster's guess) is not refused: Kafka will say.
  if (!m) return null;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  if (major > need.major || (major === need.major && minor >= need.minor)) return null;
  const why = need.why ? ` (${need.why})` : '';
  return `${need.what} Kafka ${need.major}.${need.minor} or newer${why}, but this cluster runs Kafka ${kafkaVersion}; use "protocol": "classic", or start the server with a newer KAFKA_VERSION.`;
}
