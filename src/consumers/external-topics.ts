import { INSTRUCTOR_ID } from '../class/principal';
import { ownerOfClusterName } from '../class/namespace';

/**
 * How long a topic in a student's namespace may be on the cluster without the API's topic.created
 * before it counts as made outside the API (kafka-topics.sh over the class listener): longer than an
 * API create may take (its change budget, 25 s) before it announces the topic.
 */
export const OUTSIDE_AFTER_MS = 30_000;

/** A topic as the cluster lists it. */
export interface ListedTopic {
  name: string;
  partitions: number;
}

/**
 * Which of the students' topics were made outside the API (their own kafka-topics.sh; Kafka's ACLs let
 * them create in their prefix), so the class quotas can be applied to them too. Only topics that
 * appear while watched count: those there at the first look (a server restart) are left as they are,
 * as nobody can tell who made them. Pure: the watcher hands it the listed topics, the API's creates
 * and deletes, and the time.
 */
export class ExternalTopics {
  /** Topics listed at the last look (null before the first). */
  private known: Set<string> | null = null;
  /** Topics the API announced (topic.created) and that are not deleted since. */
  private readonly api = new Set<string>();
  /** Students' topics seen appear without the API's word, since when. */
  private readonly pending = new Map<string, { since: number; partitions: number }>();

  /** The API made this topic (topic.created): it is not foreign, whenever it is seen. */
  apiCreated(topic: string): void {
    this.api.add(topic);
    this.pending.delete(topic);
  }

  /** The topic was deleted (through the API, or by the watcher). */
  deleted(topic: string): void {
    this.api.delete(topic);
    this.pending.delete(topic);
    this.known?.delete(topic);
  }

  /** The cluster stopped or was reset: the next look is a first look. */
  reset(): void {
    this.known = null;
    this.pending.clear();
  }

  /** Judge the topic again at the next look (deleting it failed). */
  judgeAgain(t: ListedTopic): void {
    this.pending.set(t.name, { since: -Infinity, partitions: t.partitions });
  }

  /** Whether the topic is still waiting to be judged (made outside the API, not yet OUTSIDE_AFTER_MS old). */
  isPending(topic: string): boolean {
    return this.pending.has(topic);
  }

  /**
   * One look at the topics the cluster lists now. Returns the students' topics made outside the API
   * that are due to be judged, in the order they appeared; each is returned once.
   */
  look(topics: readonly ListedTopic[], now: number): ListedTopic[] {
    const listed = new Map(topics.filter((t) => !t.name.startsWith('__')).map((t) => [t.name, t.partitions]));
    if (this.known === null) {
      this.known = new Set(listed.keys());
      return [];
    }
    for (const name of [...this.known]) {
      if (listed.has(name)) continue;
      // Gone (deleted outside the API too): a topic of that name later is a new one.
      this.known.delete(name);
      this.api.delete(name);
      this.pending.delete(name);
    }
    for (const [name, partitions] of listed) {
      if (this.known.has(name)) continue;
      this.known.add(name);
      if (this.api.has(name) || ownerOfClusterName(name) === INSTRUCTOR_ID) continue;
      this.pending.set(name, { since: now, partitions });
    }
    const due: ListedTopic[] = [];
    for (const [name, p] of this.pending) {
      if (now - p.since < OUTSIDE_AFTER_MS) continue;
      this.pending.delete(name);
      due.push({ name, partitions: listed.get(name) ?? p.partitions });
    }
    return due;
  }
}
