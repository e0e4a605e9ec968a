import type { RangeSet } from '../../common/offset-ranges';
import type { Evidence, EvidenceMessage } from '../grading.types';
import type { ConsumerState, PartState } from './world-state';

/** At most this many messages prove a checkpoint: a handful a grader can read back, not every one. */
export const MAX_MESSAGES = 10;

/** The parts of an Evidence a rule names; the seqs may come unsorted, repeated or 0 (unknown). */
export interface EvidenceParts {
  summary: string;
  events: number[];
  consumers: ConsumerState[];
  messages: EvidenceMessage[];
  topics?: string[];
  groups?: string[];
  nodes?: number[];
  produced?: Record<string, number>;
}

/** An Evidence in its one shape: seqs ascending and once, consumers and names once, ≤ 10 messages. */
export function evidence(parts: EvidenceParts): Evidence {
  const out: Evidence = {
    summary: parts.summary,
    events: [...new Set(parts.events.filter((s) => s > 0))].sort((a, b) => a - b),
    consumers: unique(parts.consumers.map((c) => c.id)),
    messages: parts.messages.slice(0, MAX_MESSAGES),
  };
  if (parts.topics) out.topics = unique(parts.topics);
  if (parts.groups) out.groups = unique(parts.groups);
  if (parts.nodes) out.nodes = unique(parts.nodes);
  if (parts.produced) out.produced = parts.produced;
  return out;
}

/** One message a consumer received. */
export function message(c: ConsumerState, part: PartState, offset: number): EvidenceMessage {
  return { consumerId: c.id, topic: part.topic.name, partition: part.partition, offset: String(offset) };
}

/** Up to `max` offsets of a set, lowest first, as messages of `c`. */
export function messagesOf(c: ConsumerState, part: PartState, set: RangeSet, max = MAX_MESSAGES): EvidenceMessage[] {
  const out: EvidenceMessage[] = [];
  for (const [a, b] of set.spans) {
    for (let o = a; o <= b && out.length < max; o++) out.push(message(c, part, o));
    if (out.length >= max) break;
  }
  return out;
}

/** "offsets 3–7 and 9" / "offset 4": for summaries. */
export function offsetsText(set: RangeSet, maxSpans = 3): string {
  const spans = set.spans;
  const words = spans.slice(0, maxSpans).map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`));
  const more = spans.length > maxSpans ? ` and ${spans.length - maxSpans} more ranges` : '';
  const single = spans.length === 1 && spans[0][0] === spans[0][1];
  return `${single ? 'offset' : 'offsets'} ${words.join(', ')}${more}`;
}

/** "topic t partition p". */
export function partText(part: PartState): string {
  return `topic ${part.topic.name} partition ${part.partition}`;
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}
