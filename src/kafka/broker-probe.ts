import { Admin, Kafka, logLevel } from 'kafkajs';

/**
 * Which brokers the cluster has registered and unfenced right now, asked of whichever listed broker
 * answers. Used by the cluster module for readiness; it takes the servers to ask explicitly so it
 * needs nothing from the cluster module.
 */
export class BrokerProbe {
  private admin: Admin | null = null;
  private key = '';
  private connected = false;

  async registeredBrokers(servers: string[]): Promise<number[]> {
    const key = servers.join(',');
    if (!this.admin || key !== this.key) {
      await this.close();
      this.key = key;
      this.admin = new Kafka({
        clientId: 'kafka-lab-probe',
        brokers: servers,
        connectionTimeout: 1000,
        requestTimeout: 2000,
        retry: { retries: 0 },
        logLevel: logLevel.NOTHING,
      }).admin({ retry: { retries: 0 } });
    }
    try {
      if (!this.connected) {
        await this.admin.connect();
        this.connected = true;
      }
      const d = await this.admin.describeCluster();
      return d.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    } catch (e) {
      // A failed connection poisons kafkajs's cached cluster object: start over next time.
      await this.close();
      throw e;
    }
  }

  async close(): Promise<void> {
    const a = this.admin;
    this.admin = null;
    this.connected = false;
    await a?.disconnect().catch(() => undefined);
  }
}
