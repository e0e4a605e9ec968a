import type { Server, Socket } from 'socket.io';
import type { ClusterView } from '../cluster/cluster.types';
import type { LabEvent, LabEventOf } from '../timeline/events';
import type { LabMessage } from '../timeline/live-bus';

/** The answer to `subscribe` / `unsubscribe`. */
export type SubscribeAck =
  | {
      ok: true;
      /** The timeline position the subscription is now at: every matching event up to it was sent. */
      seq: number;
      /** `{ consumer }` only: the message position it is at (the consumer's newest message seq). */
      messageSeq?: number;
      /** `{ consumer }` only: messages after the cursor the consumer no longer keeps (read too late). */
      missedMessages?: number;
    }
  | { ok: false; error: string };

export interface OverflowNotice {
  dropped: number;
  message: string;
}

/** What the server emits on `/lab` (openapi.yaml `x-websocket.serverEvents`). */
export interface ServerToClientEvents {
  message: (m: LabMessage) => void;
  rebalance: (e: LabEventOf<'group.rebalanced'>) => void;
  event: (e: LabEvent) => void;
  progress: (e: LabEventOf<'checkpoint.passed'>) => void;
  cluster: (view: ClusterView) => void;
  overflow: (o: OverflowNotice) => void;
  error: (e: { message: string }) => void;
}

/** What a client emits on `/lab`; the body is checked by parseSubscription. */
export interface ClientToServerEvents {
  subscribe: (body: unknown, ack?: (r: SubscribeAck) => void) => void;
  unsubscribe: (body: unknown, ack?: (r: SubscribeAck) => void) => void;
}

export type LabServer = Server<ClientToServerEvents, ServerToClientEvents>;
export type LabSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

/** The server's event names, for the contract test (each must be documented in openapi.yaml). */
export const SERVER_EVENTS: Record<keyof ServerToClientEvents, true> = {
  message: true, rebalance: true, event: true, progress: true, cluster: true, overflow: true, error: true,
};
