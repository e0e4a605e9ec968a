import { Injectable } from '@nestjs/common';
import { ConfigResourceTypes } from 'kafkajs';
import { KafkaService } from './kafka.service';

export interface NewTopic {
  name: string;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

/** One config entry of a topic as Kafka describes it. */
export interface TopicConfigEntry {
  name: string;
  value: string;
  /** Kafka's ConfigSource (1: set on the topic, 5: the broker's default), when the broker says. */
  source?: number;
  isDefault?: boolean;
}

/**
 * Creating, deleting and describing topics' configs, in the domain's words; kafkajs's admin client
 * stays in src/kafka/. Errors are kafkajs's (kafka-error.mapper.ts turns them into sentences).
 */
@Injectable()
export class TopicAdmin {
  constructor(private readonly kafka: KafkaService) {}

  /** Resolves once the admin client is connected; rejects when no broker can be reached. */
  async connect(): Promise<void> {
    await this.kafka.admin();
  }

  /** False when the topic exists already. Answers before every broker knows the new topic. */
  async createTopic(t: NewTopic, timeoutMs: number): Promise<boolean> {
    return (await this.kafka.admin()).createTopics({
      topics: [{
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: t.replicationFactor,
        configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
      }],
      waitForLeaders: false,
      timeout: timeoutMs,
    });
  }

  async deleteTopic(name: string, timeoutMs: number): Promise<void> {
    await (await this.kafka.admin()).deleteTopics({ topics: [name], timeout: timeoutMs });
  }

  async describeConfigs(name: string): Promise<TopicConfigEntry[]> {
    const res = await (await this.kafka.admin()).describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name }], includeSynonyms: false });
    const entries = (res.resources[0]?.configEntries ?? []) as Array<{ configName: string; configValue: string; configSource?: number; isDefault?: boolean }>;
    return entries.map((e) => ({ name: e.configName, value: e.configValue, source: e.configSource, isDefault: e.isDefault }));
  }
}
