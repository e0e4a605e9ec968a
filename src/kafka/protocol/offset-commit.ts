import { KafkaCodeError, KAFKA_ERRORS } from '../kafka-error-codes';
import { API_KEYS, BrokerAddress, brokerLabel, DEFAULT_CLIENT_ID, firstAnswering, KafkaWireError, KeptConnection, request } from './kafka-connection';
import { Reader, Writer } from './wire';

/** FindCoordinator v2: the last non-flexible version with a single key. */
export const FIND_COORDINATOR_VERSION = 2;
/** OffsetCommit v7: the last non-flexible version (adds group_instance_id). */
export const OFFSET_COMMIT_VERSION = 7;

const COORDINATOR_LOAD_IN_PROGRESS = 14;
const COORDINATOR_NOT_AVAILABLE = 15;
const NOT_COORDINATOR = 16;
/** Answers that mean "ask FindCoordinator again": the group moved or its coordinator is not ready. */
const COORDINATOR_MOVED = new Set([COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR]);

/** Who commits: the broker refuses a commit from an older generation (ILLEGAL_GENERATION, 22). */
export interface CommitIdentity {
  groupId: string;
  memberId: string;
  generation: number;
}

/** The next offset to read (Kafka's convention: last read + 1), as a decimal string. */
export interface CommitOffset {
  topic: string;
  partition: number;
  offset: string;
}

export const commitKey = (topic: string, partition: number) => `${topic}:${partition}`;

export function encodeFindCoordinatorRequest(groupId: string): Buffer {
  return new Writer(64).string(groupId).int8(0 /* key_type GROUP */).toBuffer();
}

export function decodeFindCoordinatorResponse(r: Reader): { errorCode: number; errorMessage: string | null; broker: BrokerAddress & { nodeId: number } } {
  r.int32(); // throttle_time_ms
  const errorCode = r.int16();
  const errorMessage = r.nullableString();
  const nodeId = r.int32();
  const host = r.string();
  const port = r.int32();
  return { errorCode, errorMessage, broker: { nodeId, host, port } };
}

export function encodeOffsetCommitRequest(who: CommitIdentity, offsets: readonly CommitOffset[]): Buffer {
  const byTopic = new Map<string, CommitOffset[]>();
  for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
  return new Writer(128)
    .string(who.groupId)
    .int32(who.generation)
    .string(who.memberId)
    .nullableString(null) // group_instance_id: our members are dynamic
    .array([...byTopic], (w, [topic, list]) => {
      w.string(topic).array(list, (pw, o) => {
        pw.int32(o.partition).int64(o.offset).int32(-1 /* committed_leader_epoch unknown */).nullableString(null);
      });
    })
    .toBuffer();
}

export function decodeOffsetCommitResponse(r: Reader): Map<string, number> {
  r.int32(); // throttle_time_ms
  const codes = new Map<string, number>();
  r.array((t) => {
    const topic = t.string();
    t.array((p) => {
      const partition = p.int32();
      codes.set(commitKey(topic, partition), p.int16());
    });
  });
  return codes;
}

/**
 * Commits consumer offsets with our own OffsetCommit requests, once, with the member's generation:
 * a commit that arrives after the group moved on is refused by the broker instead of being retried
 * into the new generation (kafkajs's commitOffsets retries, and could then overwrite the offsets of
 * partitions another member owns by now). The coordinator of each group is remembered, and one
 * connection per coordinator broker is kept for all groups.
 */
export class OffsetCommitter {
  private readonly coordinators = new Map<string, BrokerAddress>();
  private readonly connections = new Map<string, KeptConnection>();
  private readonly clientId: string;
  private closed = false;

  constructor(opts: { clientId?: string } = {}) {
    this.clientId = opts.clientId ?? DEFAULT_CLIENT_ID;
  }

  /**
   * Commits `offsets` for `who`; resolves with Kafka's error code per `topic:partition` (0 = stored).
   * Rejects when the request got no answer (coordinator unknown or unreachable, or `timeoutMs` passed).
   */
  async commit(bootstrap: readonly BrokerAddress[], who: CommitIdentity, offsets: readonly CommitOffset[], timeoutMs: number): Promise<Map<string, number>> {
    if (this.closed) throw new KafkaWireError('closed', '-', 'the offset committer was closed');
    if (offsets.length === 0) return new Map();
    const deadline = Date.now() + timeoutMs;
    const coordinator = this.coordinators.get(who.groupId) ?? (await this.findCoordinator(bootstrap, who.groupId, timeoutMs));
    let codes: Map<string, number>;
    try {
      const conn = await this.kept(coordinator).get(Math.max(1, deadline - Date.now()));
      const r = await conn.send(API_KEYS.offsetCommit, OFFSET_COMMIT_VERSION, encodeOffsetCommitRequest(who, offsets), {
        flexible: false,
        timeoutMs: Math.max(1, deadline - Date.now()),
      });
      codes = decodeOffsetCommitResponse(r);
    } catch (e) {
      this.coordinators.delete(who.groupId);
      throw e;
    }
    if ([...codes.values()].some((c) => COORDINATOR_MOVED.has(c))) this.coordinators.delete(who.groupId);
    return codes;
  }

  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
    this.coordinators.clear();
  }

  private async findCoordinator(bootstrap: readonly BrokerAddress[], groupId: string, timeoutMs: number): Promise<BrokerAddress> {
    const res = await firstAnswering(
      bootstrap,
      (b, left, signal) =>
        request(b, API_KEYS.findCoordinator, FIND_COORDINATOR_VERSION, encodeFindCoordinatorRequest(groupId), { flexible: false, timeoutMs: left, clientId: this.clientId, signal }, decodeFindCoordinatorResponse),
      { timeoutMs },
    );
    if (res.errorCode !== KAFKA_ERRORS.NONE) throw new KafkaCodeError(res.errorCode, res.errorMessage ?? undefined);
    const address = { host: res.broker.host, port: res.broker.port };
    this.coordinators.set(groupId, address);
    return address;
  }

  private kept(broker: BrokerAddress): KeptConnection {
    const key = brokerLabel(broker);
    let kept = this.connections.get(key);
    if (!kept) {
      kept = new KeptConnection(broker, this.clientId);
      this.connections.set(key, kept);
    }
    return kept;
  }
}
