import { INSTRUCTOR_ID } from '../class/principal';
import { ownerOfClusterName } from '../class/namespace';
import { PartitionRanges } from '../common/offset-ranges';
import type { NewEvent } from '../timeline/events';
import type { EventScope } from '../timeline/timeline.types';

/** How old a look at the end offsets must be before its growth is judged: the API's own writes are on the timeline by then (they gather for a second). */
export const JUDGE_AFTER_MS = 5000;
/**
 * A topic the server wrote to this recently is not judged: a write the API reported as failed (its
 * deadline passed) may still land, and would pass for someone else's. Mixing the API's producer and
 * kcat on one topic within a minute therefore shows only the API's writes.
 */
export const API_QUIET_MS = 60_000;

export interface WritePublication {
  event: NewEvent;
  scope: EventScope;
}

/**
 * "Offsets moving": what was written to the class's topics by clients the server does not run (kcat -P,
 * a console producer), told from the topics' end offsets growing beyond what the server wrote itself.
 * The watcher hands it the end offsets every round; growth is judged once it is JUDGE_AFTER_MS old,
 * and each topic with foreign writes gets one `messages.produced` (external: true), scoped to the
 * topic's owner like the owner's own writes (a shared topic's writer is not known: everybody sees it).
 * Topics there before the first look start where they were; a topic that appears later is counted from
 * offset 0. Pure: no IO, time is handed in.
 */
export class ExternalWrites {
  /** Per partition (`topic:partition`), the end offset up to which every write is accounted for. */
  private readonly judged = new Map<string, bigint>();
  /** Topics known (seen in a look, or there at the first); null before the first look. */
  private known: Set<string> | null = null;
  private readonly lastApiWrite = new Map<string, number>();
  private looks: Array<{ at: number; ends: Map<string, bigint> }> = [];

  /** The server wrote to the topic (a messages.produced of its own). */
  apiWrote(topic: string, at: number): void {
    this.lastApiWrite.set(topic, at);
  }

  /** The topic was deleted: a topic of that name later is a new one, counted from its first offset. */
  forgetTopic(topic: string): void {
    this.known?.delete(topic);
    for (const key of [...this.judged.keys()]) if (topicOf(key) === topic) this.judged.delete(key);
    for (const look of this.looks) for (const key of [...look.ends.keys()]) if (topicOf(key) === topic) look.ends.delete(key);
  }

  /** Everything starts again (the cluster stopped or was reset): the next look is a first look. */
  reset(): void {
    this.judged.clear();
    this.known = null;
    this.looks = [];
  }

  /**
   * One look: `topics` the cluster has now (internal ones left out), `ends` their partitions' latest
   * offsets (`topic:partition`; a partition that could not tell is absent). Returns what to publish.
   */
  look(topics: readonly string[], ends: ReadonlyMap<string, string>, now: number): WritePublication[] {
    const listed = topics.filter((t) => !t.startsWith('__'));
    const first = this.known === null;
    if (first) this.known = new Set(listed);
    const known = this.known!;
    const fresh = new Set(listed.filter((t) => !known.has(t)));
    for (const t of fresh) known.add(t);
    const snapshot = new Map<string, bigint>();
    for (const [key, v] of ends) if (!topicOf(key).startsWith('__')) snapshot.set(key, BigInt(v));
    // A new topic is counted from its first offset (0): what it got before the look it appeared in is known too.
    for (const t of fresh) for (const key of snapshot.keys()) if (topicOf(key) === t && !this.judged.has(key)) this.judged.set(key, 0n);
    if (first) for (const [key, v] of snapshot) this.judged.set(key, v);
    this.looks.push({ at: now, ends: snapshot });

    // The newest look old enough to judge; the ones before it are done with.
    let i = -1;
    for (let k = 0; k < this.looks.length; k++) if (this.looks[k].at <= now - JUDGE_AFTER_MS) i = k;
    if (i < 0) return [];
    const judging = this.looks[i];
    this.looks = this.looks.slice(i + 1);

    const byTopic = new Map<string, PartitionRanges & { count: number; partitions: Record<string, number> }>();
    for (const [key, end] of judging.ends) {
      const from = this.judged.get(key);
      this.judged.set(key, end);
      // A partition first seen now (the topic grew, or could not tell before) starts here; one that went back was re-made or cut.
      if (from === undefined || end <= from) continue;
      const topic = topicOf(key);
      const last = this.lastApiWrite.get(topic);
      if (last !== undefined && now - last < API_QUIET_MS) continue;
      let t = byTopic.get(topic);
      if (!t) byTopic.set(topic, (t = Object.assign(new PartitionRanges(), { count: 0, partitions: {} as Record<string, number> })));
      const partition = Number(key.slice(key.lastIndexOf(':') + 1));
      const n = Number(end - from);
      t.count += n;
      t.partitions[String(partition)] = n;
      t.add(partition, Number(from), Number(end - 1n));
    }
    return [...byTopic].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([topic, t]) => {
      const owner = ownerOfClusterName(topic);
      const student = owner !== INSTRUCTOR_ID;
      return {
        // A student's topic is written only by them (Kafka's ACLs) or a super user; a shared topic's writer cannot be told.
        event: { type: 'messages.produced', actor: student ? owner : 'kafka', topic, count: t.count, partitions: t.partitions, offsets: t.toJSON(), external: true },
        scope: student ? { topic, owner } : { topic },
      };
    });
  }
}

function topicOf(key: string): string {
  return key.slice(0, key.lastIndexOf(':'));
}
