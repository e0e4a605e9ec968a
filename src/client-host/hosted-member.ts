import { LabError } from '../common/lab-error';
import type { AckRequest, HostedAckResult, HostedMember, HostedMemberEvents, HostedMemberSpec, HostedRebalance, HostedRecord } from './client-host.types';
import { HostGone, HostEvent, HostRefusal, LineProtocol } from './line-protocol';

/** How long past a leave's own deadline the host may take to answer it. */
const LEAVE_SLACK_MS = 5_000;
const ACK_TIMEOUT_MS = 20_000;
const VANISH_TIMEOUT_MS = 10_000;

/**
 * One member inside the host, as the consumers module holds it. It routes the host's events for this
 * member to `events` until the member has left, vanished or crashed; after that it reports nothing.
 */
export class RemoteMember implements HostedMember {
  private ended = false;
  /** Set once the host answered the start: a crash before it is the start's failure, not an event. */
  started = false;

  constructor(
    readonly spec: HostedMemberSpec,
    private readonly events: HostedMemberEvents,
    private readonly protocol: () => LineProtocol | null,
    /** Removes this member from the host's table (after it ended). */
    private readonly forget: () => void,
    /** How long a vanished member stays cut off before the host closes its client (past the session timeout). */
    private readonly freeAfterMs: number,
  ) {}

  get consumerId(): string {
    return this.spec.consumerId;
  }

  async leave(deadlineMs: number): Promise<void> {
    if (this.ended) return;
    this.end();
    try {
      await this.send('leave', { timeoutMs: deadlineMs }, deadlineMs + LEAVE_SLACK_MS);
    } catch {
      // gone either way: the host died (its members with it) or missed the deadline
    }
  }

  async vanish(): Promise<void> {
    if (this.ended) return;
    try {
      await this.send('vanish', { freeAfterMs: this.freeAfterMs }, VANISH_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof HostRefusal && e.code === 'UNSUPPORTED') throw new LabError('CONFLICT', e.message);
      if (!(e instanceof HostGone)) throw e;
      // the host is gone, so is the member
    }
    this.end();
  }

  async acknowledge(acks: AckRequest[]): Promise<HostedAckResult[]> {
    if (this.ended) throw new LabError('WRONG_STATE', `Consumer ${this.consumerId} is not running.`);
    try {
      const answer = await this.send<{ results: HostedAckResult[] }>('ack', { acks: acks.map((a) => ({ ...a, offset: String(a.offset) })) }, ACK_TIMEOUT_MS);
      return answer.results;
    } catch (e) {
      if (e instanceof HostRefusal) {
        throw new LabError(e.code === 'NOT_HELD' || e.code === 'BAD_REQUEST' ? 'BAD_INPUT' : 'WRONG_STATE', e.message);
      }
      throw new LabError('TIMEOUT', `The acknowledgement of consumer ${this.consumerId} got no answer: ${(e as Error).message}.`);
    }
  }

  /** An event of this member from the host. */
  deliver(e: HostEvent): void {
    if (this.ended) return;
    switch (e.ev) {
      case 'joined':
        this.events.joined(String(e.memberId), Number(e.memberEpoch));
        break;
      case 'rebalanced':
        this.events.rebalanced({
          memberId: String(e.memberId),
          memberEpoch: Number(e.memberEpoch),
          assigned: e.assigned as HostedRebalance['assigned'],
          revoked: e.revoked as HostedRebalance['revoked'],
          owned: e.owned as HostedRebalance['owned'],
        });
        break;
      case 'records':
        this.events.records(e.records as HostedRecord[]);
        break;
      case 'acknowledged':
        this.events.acknowledged(e.results as HostedAckResult[]);
        break;
      case 'lockExpired':
        this.events.lockExpired(e.records as Array<{ topic: string; partition: number; offset: string }>);
        break;
      case 'crashed':
        this.crashed(String(e.reason));
        break;
    }
  }

  /** The member died (its loop failed, or the whole host went away). */
  crashed(reason: string): void {
    if (this.ended || !this.started) return;
    this.end();
    this.events.crashed(reason);
  }

  private end(): void {
    this.ended = true;
    this.forget();
  }

  private send<T>(op: string, body: Record<string, unknown>, timeoutMs: number): Promise<T> {
    const p = this.protocol();
    if (!p) return Promise.reject(new HostGone('the client host is not running'));
    return p.request<T>(op, { ...body, member: this.consumerId }, timeoutMs);
  }
}
