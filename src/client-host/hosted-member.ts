import { LabError } from '../common/lab-error';
import type { AckRequest, HostedAckResult, HostedMember, HostedMemberEvents, HostedMemberSpec, HostedRebalance, HostedRecord } from './client-host.types';
import { HostEvent, HostGone, HostRefusal, HostTimeout, LineProtocol } from './line-protocol';

/** The host went away (not a mere timeout): its members went with it. */
const isGone = (e: unknown): boolean => e instanceof HostGone && !(e instanceof HostTimeout);

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

  /**
   * Vanished, or not there any more (the host has no such member, or is gone): the member has ended.
   * A refusal for another reason (UNSUPPORTED: no network cutter) or no answer in time: it may still
   * run, so it stays in the table (a later leave or the shutdown reaches it) and the caller hears why.
   */
  async vanish(): Promise<void> {
    if (this.ended) return;
    try {
      await this.send('vanish', { freeAfterMs: this.freeAfterMs }, VANISH_TIMEOUT_MS);
    } catch (e) {
      if (e instanceof HostTimeout) {
        throw new LabError('TIMEOUT', `The client host did not confirm within ${VANISH_TIMEOUT_MS / 1000} s that consumer ${this.consumerId} vanished; it may still be running.`);
      }
      if (e instanceof HostRefusal && e.code !== 'NO_MEMBER') throw new LabError(e.code === 'UNSUPPORTED' ? 'CONFLICT' : 'WRONG_STATE', e.message);
      if (!(e instanceof HostRefusal) && !isGone(e)) throw e;
      // NO_MEMBER, or the host is gone: the member is not there
    }
    this.end();
  }

  /**
   * A refusal for offsets not held is a 400, another refusal a 409. No answer in time is a TIMEOUT
   * (503) and the acknowledgement may still reach Kafka: the host's `acknowledged` report tells the
   * outcome. The host gone away is a 409: the member went with it.
   */
  async acknowledge(acks: AckRequest[]): Promise<HostedAckResult[]> {
    if (this.ended) throw new LabError('WRONG_STATE', `Consumer ${this.consumerId} is not running.`);
    try {
      const answer = await this.send<{ results: HostedAckResult[] }>('ack', { acks: acks.map((a) => ({ ...a, offset: String(a.offset) })) }, ACK_TIMEOUT_MS);
      return answer.results;
    } catch (e) {
      if (e instanceof HostRefusal) {
        throw new LabError(e.code === 'NOT_HELD' || e.code === 'BAD_REQUEST' ? 'BAD_INPUT' : 'WRONG_STATE', e.message);
      }
      if (e instanceof HostTimeout) {
        throw new LabError('TIMEOUT', `The acknowledgement of consumer ${this.consumerId} got no answer within ${ACK_TIMEOUT_MS / 1000} s; it may still reach Kafka, and share.acknowledged will tell.`);
      }
      if (isGone(e)) throw new LabError('WRONG_STATE', `Consumer ${this.consumerId} is not running: ${(e as Error).message}.`);
      throw e;
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
