import type { Socket } from 'socket.io-client';
import { deref, OpenApiDoc } from './openapi-doc';
import type { Target } from './role-matrix';

/**
 * The socket half of the role matrix: the kinds of subscription openapi.yaml's `x-websocket` offers
 * (each `oneOf` of the Subscription schema), a subscription of a kind about a target, and a socket
 * that says whether the server let it in.
 */

/** Each kind of subscription (its one required key) and the fixed value it takes, if any (`{ cluster: true }`). */
export function subscriptionKinds(doc: OpenApiDoc): Array<{ kind: string; fixed?: unknown }> {
  const payload = deref(doc, doc['x-websocket'].clientEvents.subscribe.payload);
  return (payload.oneOf as unknown[]).map((v) => {
    const variant = deref(doc, v) as { required: string[]; properties: Record<string, { const?: unknown }> };
    const kind = variant.required[0];
    return { kind, fixed: variant.properties[kind]?.const };
  });
}

/** The subscription of `kind` about `t`: its consumer, topic or group, or the fixed value. */
export function subscriptionOf(kind: string, fixed: unknown, t: Target): Record<string, unknown> {
  if (fixed !== undefined) return { [kind]: fixed };
  if (kind === 'consumer' || kind === 'topic' || kind === 'group') return { [kind]: t[kind] };
  throw new Error(`the matrix does not know what a { ${kind} } subscription is about; add it to subscriptionOf`);
}

/** The ack of one subscribe. */
export function subscribeAck(s: Socket, what: Record<string, unknown>, timeoutMs = 10_000): Promise<{ ok: boolean; error?: string }> {
  return s.timeout(timeoutMs).emitWithAck('subscribe', what);
}
