import { Kafka, logLevel } from 'kafkajs';

/**
 * Asks one broker, on its own port, whether it serves: it answers a metadata request and lists itself
 * among the live (unfenced) brokers. Asking the broker itself matters: right after a kill the others
 * still list it until the controller fences it, and a freshly restarted broker opens its port only
 * when it is ready. Takes explicit addresses so it needs nothing from the cluster module.
 */
export class BrokerProbe {
  async serves(server: string, id: number): Promise<boolean> {
    const admin = new Kafka({
      clientId: 'kafka-lab-probe',
      brokers: [server],
      connectionTimeout: 1000,
      requestTimeout: 2000,
      retry: { retries: 0 },
      logLevel: logLevel.NOTHING,
    }).admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const d = await admin.describeCluster();
      return d.brokers.some((b) => b.nodeId === id);
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Broker ids the cluster reports live, from the first listed server that answers (external clusters). */
  async liveBrokerIds(servers: string[]): Promise<number[]> {
    const admin = new Kafka({ clientId: 'kafka-lab-probe', brokers: servers, connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 1 }, logLevel: logLevel.NOTHING }).admin();
    try {
      await admin.connect();
      return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
