import { fetchMetadata, parseBrokerAddresses } from './protocol';

/**
 * Whether one broker serves: asked on its own port, it answers a metadata request (for no topic,
 * so the answer is small) and lists itself among the live (unfenced) brokers. Asking the broker
 * itself matters: right after a kill the others still list it until the controller fences it, and a
 * freshly restarted broker opens its port only when it is ready. One short connection with our wire
 * client per probe (no kafkajs admin, which connects, asks for versions and metadata and keeps sockets).
 */
export async function brokerServes(server: string, id: number, timeoutMs = 1500): Promise<boolean> {
  const [address] = parseBrokerAddresses([server]);
  try {
    const md = await fetchMetadata(address, [], { timeoutMs, clientId: 'kafka-lab-probe' });
    return md.brokers.some((b) => b.nodeId === id);
  } catch {
    return false;
  }
}

/** The readiness probe as an object, for the cluster service. Takes explicit addresses so it needs nothing from the cluster module. */
export class BrokerProbe {
  serves(server: string, id: number): Promise<boolean> {
    return brokerServes(server, id);
  }
}
