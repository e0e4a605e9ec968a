import { api, uniqueName, waitFor } from './lab';

/** What the e2e files of the group protocols read of the API (Consumer, Message, group.rebalanced). */
export interface TP {
  topic: string;
  partitions: number[];
}
export interface ConsumerBody {
  id: string;
  groupId: string;
  protocol: string;
  ack?: string;
  state: string;
  memberId: string | null;
  memberEpoch?: number | null;
  assignment: TP[];
  received: number;
}
export interface MessageBody {
  seq: number;
  consumerId: string;
  topic: string;
  partition: number;
  offset: string;
  value: string | null;
  deliveryCount?: number;
}

export const partitionsOf = (a: TP[]) => a.flatMap((tp) => tp.partitions).sort((x, y) => x - y);
export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function createTopic(prefix: string, partitions: number, replicationFactor = 3): Promise<string> {
  const name = uniqueName(prefix);
  const r = await api().post('/api/topics').send({ name, partitions, replicationFactor });
  if (r.status !== 201) throw new Error(`creating topic ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return name;
}

export async function startConsumer(body: Record<string, unknown>): Promise<ConsumerBody> {
  const r = await api().post('/api/consumers').send(body);
  if (r.status !== 201) throw new Error(`POST /api/consumers ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body as ConsumerBody;
}

export async function consumerView(id: string): Promise<ConsumerBody> {
  const r = await api().get(`/api/consumers/${id}`);
  if (r.status !== 200) throw new Error(`GET /api/consumers/${id}: ${r.status}`);
  return r.body as ConsumerBody;
}

export async function messagesOf(id: string, after = 0): Promise<MessageBody[]> {
  const r = await api().get(`/api/consumers/${id}/messages?after=${after}&limit=2000`);
  if (r.status !== 200) throw new Error(`GET /api/consumers/${id}/messages: ${r.status}`);
  return r.body.messages as MessageBody[];
}

/** Waits until these consumers run and hold disjoint shares covering every partition, each some. */
export function balanced(ids: string[], partitions: number, timeoutMs = 30_000): Promise<ConsumerBody[]> {
  return waitFor(`a balanced assignment over ${ids.join(', ')}`, async () => {
    const cs = await Promise.all(ids.map(consumerView));
    const all = cs.flatMap((c) => partitionsOf(c.assignment)).sort((a, b) => a - b);
    const ok = cs.every((c) => c.state === 'running' && c.assignment.length > 0) && JSON.stringify(all) === JSON.stringify(range(partitions));
    return ok && cs;
  }, timeoutMs);
}

/**
 * Follows consumers' messages as they arrive (polling every `everyMs`), noting when each was seen:
 * the messages API says what was received, this says when, for "who consumed nothing, and how long".
 */
export class Arrivals {
  readonly seen = new Map<string, Array<MessageBody & { at: number }>>();
  private readonly next = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private busy = false;

  constructor(private readonly everyMs = 100) {}

  follow(id: string): void {
    if (!this.seen.has(id)) this.seen.set(id, []);
    if (!this.timer) this.timer = setInterval(() => void this.poll(), this.everyMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  of(id: string): Array<MessageBody & { at: number }> {
    return this.seen.get(id) ?? [];
  }

  /** The longest time within [from, to] in which `id` received nothing from `partitions` (all when absent). */
  longestGap(id: string, from: number, to: number, partitions?: number[]): number {
    const times = this.of(id)
      .filter((m) => m.at >= from && m.at <= to && (!partitions || partitions.includes(m.partition)))
      .map((m) => m.at);
    let last = from;
    let gap = 0;
    for (const t of [...times, to]) {
      gap = Math.max(gap, t - last);
      last = t;
    }
    return gap;
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await Promise.all(
        [...this.seen.keys()].map(async (id) => {
          const ms = await messagesOf(id, this.next.get(id) ?? 0).catch(() => [] as MessageBody[]);
          const at = Date.now();
          if (ms.length === 0) return;
          this.next.set(id, ms[ms.length - 1].seq);
          this.seen.get(id)!.push(...ms.map((m) => ({ ...m, at })));
        }),
      );
    } finally {
      this.busy = false;
    }
  }
}

/** Produces `perTick` messages every `everyMs` round-robin over the partitions until stopped. */
export function trickle(topic: string, partitions: number, everyMs = 100, perTick = 2): { stop: () => Promise<number> } {
  let running = true;
  let n = 0;
  const loop = (async () => {
    const start = Date.now();
    for (let tick = 0; running; tick++) {
      const messages = range(perTick).map(() => ({ value: `m${n}`, partition: n++ % partitions }));
      await api().post(`/api/topics/${topic}/messages`).send({ messages }).catch(() => undefined);
      const wait = start + (tick + 1) * everyMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return n;
    },
  };
}
