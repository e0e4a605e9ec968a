import { Injectable } from '@nestjs/common';
import { byDeadline } from '../common/deadline';
import { isRefusedConnection } from './connection-failure';
import { KafkaService } from './kafka.service';

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

/**
 * Creating and deleting topics, in the domain's words (a topic's configs are read over the wire:
 * KafkaService.topicConfigs); kafkajs's admin client stays in src/kafka/. Errors are kafkajs's
 * (kafka-error.mapper.ts turns them into sentences).
 */
@Injectable()
export class TopicAdmin {
  constructor(private readonly kafka: KafkaService) {}

  /** Resolves once the admin client is connected; rejects when no broker can be reached or at `deadline` (ms since epoch). */
  async connect(deadline = Date.now() + 10_000): Promise<void> {
    await byDeadline(this.kafka.admin(), deadline);
  }

  /**
   * False when the topic exists already. Answers before every broker knows the new topic; rejects
   * (TIMEOUT) at `deadline` at the latest.
   */
  async createTopic(t: NewTopic, deadline: number): Promise<boolean> {
    return this.freshAdminIfStale(async () => (await this.kafka.admin()).createTopics({
      topics: [{
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      }],
      waitForLeaders: false,
      timeout: kafkaTimeout(deadline),
    }), deadline);
  }

  /** Rejects (TIMEOUT) at `deadline` at the latest. */
  async deleteTopic(name: string, deadline: number): Promise<void> {
    await this.freshAdminIfStale(async () => (await this.kafka.admin()).deleteTopics({ topics: [name], timeout: kafkaTimeout(deadline) }), deadline);
  }

  /**
   * refusedAgain(call), and once more on a new admin client when kafkajs says a topic is unknown:
   * before each topic change kafkajs refreshes the metadata of every topic its admin has looked at
   * (e.g. for a group's lag), and one deleted since then fails every later change with
   * UNKNOWN_TOPIC_OR_PARTITION, whatever topic the change is about, until the admin is new.
   */
  private async freshAdminIfStale<T>(call: () => Promise<T>, deadline: number): Promise<T> {
    try {
      return await refusedAgain(call, deadline);
    } catch (e) {
      if (!isUnknownTopic(e) || deadline - Date.now() < 3_000) throw e;
      await this.kafka.resetAdmin();
      return refusedAgain(call, deadline);
    }
  }
}

/** kafkajs's UNKNOWN_TOPIC_OR_PARTITION, also inside its retry wrappers. */
export function isUnknownTopic(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 5) return false;
  const e = err as { type?: unknown; cause?: unknown; originalError?: unknown; errors?: unknown };
  if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION') return true;
  return [e.cause, e.originalError].some((x) => x !== err && isUnknownTopic(x, depth + 1));
}

/** What Kafka itself may take for a topic change: at most 10 s, and less than is left. */
const kafkaTimeout = (deadline: number) => Math.max(1000, Math.min(10_000, deadline - Date.now() - 1000));

/**
 * Runs `call` again (at most twice, while time is left) when it could not reach the broker it asked:
 * nothing was sent, and for about 6 s (broker.session.timeout) after a broker dies KRaft still lists
 * it and may name it as the controller, to which kafkajs sends topic changes.
 */
export async function refusedAgain<T>(call: () => Promise<T>, deadline: number): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await byDeadline(call(), deadline);
    } catch (e) {
      if (retry >= 2 || !isRefusedConnection(e) || deadline - Date.now() < 3_000) throw e;
      await new Promise((r) => setTimeout(r, 300 * (retry + 1)));
    }
  }
}
