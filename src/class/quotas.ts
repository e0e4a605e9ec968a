import { Injectable } from '@nestjs/common';
import { LabError } from '../common/lab-error';
import { ClassSettingsService } from './class-settings.service';
import { Quotas } from './class.types';
import { ownerOfClusterName } from './namespace';
import { Principal } from './principal';

/** A topic as the cluster's metadata lists it: only its name and partition count matter here. */
export interface ClusterTopicUse {
  name: string;
  partitions: readonly unknown[];
  /** Kafka's error for the entry (a topic half deleted): such an entry is not counted. */
  errorCode?: number;
}

/** One student's produce allowance: tokens refill at producePerSecond, up to one second's worth. */
interface Bucket {
  tokens: number;
  at: number;
}

/**
 * The class's quotas, enforced for students only (the instructor has none). Every decision reads
 * ClassSettingsService.get() at that moment, so a PATCH /api/class applies to the very next request.
 * Counts over a quota are 409 LIMIT_REACHED; the produce rate is 429 TOO_MANY with Retry-After. Each
 * sentence names the quota's key and the use, so a student knows what to undo and an instructor what
 * to raise. The callers count what the student has (they own the data); this class only judges.
 */
@Injectable()
export class QuotaService {
  private readonly buckets = new Map<string, Bucket>();
  /** Per student, the end of their topic creates queued so far (see oneTopicCreateAtATime). */
  private readonly topicCreates = new Map<string, Promise<unknown>>();

  constructor(private readonly settings: ClassSettingsService) {}

  /** POST /api/topics: topics, partitionsPerTopic and partitions, against every topic on the cluster. */
  topicCreate(who: Principal, partitions: number, clusterTopics: Iterable<ClusterTopicUse>): void {
    const q = this.quotasFor(who);
    if (!q) return;
    if (partitions > q.partitionsPerTopic) {
      throw limit(`A topic of a student may have at most ${plural(q.partitionsPerTopic, 'partition')} in this class (quota partitionsPerTopic = ${q.partitionsPerTopic}); this one asks for ${partitions}.`);
    }
    let topics = 0;
    let used = 0;
    for (const t of clusterTopics) {
      if ((t.errorCode ?? 0) !== 0 || ownerOfClusterName(t.name) !== who.id) continue;
      topics++;
      used += t.partitions.length;
    }
    if (topics >= q.topics) throw limit(countSentence(topics, 'topic', 'topics', q.topics, '', 'delete one first'));
    if (used + partitions > q.partitions) {
      throw limit(
        `Your topics have ${plural(used, 'partition')}; ${partitions} more would pass the ${q.partitions} a student may have in this class (quota partitions = ${q.partitions}); delete a topic or ask for fewer partitions.`,
      );
    }
  }

  /**
   * A student's topic creates run one after another. A create counts the student's topics and then
   * awaits Kafka for seconds; two sent at once would both count the same topics and both pass a quota
   * that has room for one. Once a create has answered, its topic is in the metadata the next one reads.
   */
  oneTopicCreateAtATime<T>(who: Principal, create: () => Promise<T>): Promise<T> {
    if (who.role !== 'student') return create();
    const mine = (this.topicCreates.get(who.id) ?? Promise.resolve()).then(create);
    const settled = mine.then(() => undefined, () => undefined);
    this.topicCreates.set(who.id, settled);
    void settled.then(() => this.topicCreates.get(who.id) === settled && this.topicCreates.delete(who.id));
    return mine;
  }

  /** Resolves once the student's topic creates queued so far have answered (a purge waits for them). */
  topicCreatesSettled(studentId: string): Promise<void> {
    return (this.topicCreates.get(studentId) ?? Promise.resolve()).then(() => undefined);
  }

  /** POST /api/consumers: `alive` is how many of the student's consumers are joining, running or crashed (being recovered) now. */
  consumerCreate(who: Principal, alive: number): void {
    const q = this.quotasFor(who);
    if (q && alive >= q.consumers) throw limit(countSentence(alive, 'consumer', 'consumers', q.consumers, ' running', 'stop or delete one first'));
  }

  /**
   * A produce request of `count` messages, checked whole before anything is written: messagesPerRequest
   * (409), then the student's token bucket (429). The bucket holds one second's worth; a request larger
   * than that (messagesPerRequest may exceed producePerSecond) is let through from a full bucket and
   * leaves it in debt, so the rate over time still holds and no request within messagesPerRequest is
   * refused forever.
   */
  produce(who: Principal, count: number): void {
    const q = this.quotasFor(who);
    if (!q) return;
    if (count > q.messagesPerRequest) {
      throw limit(
        q.messagesPerRequest === 0
          ? 'Students may not produce in this class (quota messagesPerRequest = 0).'
          : `A request of a student may carry at most ${plural(q.messagesPerRequest, 'message')} in this class (quota messagesPerRequest = ${q.messagesPerRequest}); this one has ${count}: send them in smaller requests.`,
      );
    }
    const rate = q.producePerSecond;
    if (rate === 0) throw limit('Students may not produce in this class (quota producePerSecond = 0).');
    const now = Date.now();
    const b = this.buckets.get(who.id) ?? { tokens: rate, at: now };
    // Refill by the rate in force now; a lowered rate also lowers what was saved up.
    b.tokens = Math.min(rate, b.tokens + ((now - b.at) / 1000) * rate);
    b.at = now;
    this.buckets.set(who.id, b);
    const need = Math.min(count, rate);
    if (b.tokens < need) {
      const seconds = Math.max(1, Math.ceil((need - b.tokens) / rate));
      throw new LabError(
        'TOO_MANY',
        `You are producing faster than the ${plural(rate, 'message')} per second a student may produce in this class (quota producePerSecond = ${rate}); ${count === 1 ? 'this message was' : `these ${count} messages were`} not written: try again in ${seconds} s.`,
        undefined,
        { retryAfterSeconds: seconds },
      );
    }
    b.tokens -= count;
  }

  /** socket.io connect: the sentence refusing one more socket (`open` = the student's sockets now), or null. */
  socketRefusal(who: Principal, open: number): string | null {
    const q = this.quotasFor(who);
    if (!q || open < q.sockets) return null;
    return countSentence(open, 'socket', 'sockets', q.sockets, ' open', 'close one first');
  }

  /** A student removed from the class: their produce allowance goes too. */
  forget(studentId: string): void {
    this.buckets.delete(studentId);
  }

  private quotasFor(who: Principal): Quotas | null {
    return who.role === 'student' ? this.settings.get().quotas : null;
  }
}

function limit(message: string): LabError {
  return new LabError('LIMIT_REACHED', message);
}

/**
 * "You have 20 topics, the most a student may have in this class (quota topics = 20); delete one first."
 * (A quota lowered below what a student has says "more than the N" instead.)
 */
function countSentence(has: number, one: string, key: keyof Quotas, max: number, state: string, remedy: string): string {
  if (max === 0) return `Students may have no ${key} in this class (quota ${key} = 0).`;
  const most = has > max ? `more than the ${max}` : 'the most';
  return `You have ${plural(has, one)}${state}, ${most} a student may have in this class (quota ${key} = ${max}); ${remedy}.`;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}
