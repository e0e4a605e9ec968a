import type { Evidence } from '../../grading.types';
import { evidence, message, partText } from '../evidence';
import type { Rule } from '../rule';
import type { Change } from '../world-state';

/**
 * Two of the student's consumers in different groups received the same (topic, partition, offset):
 * one message, two subscribers. The same value produced twice lands at two offsets and does not count.
 */
export class PubSubRule implements Rule {
  readonly id = 'pub-sub' as const;

  check(change: Change): Evidence | null {
    if (change.kind !== 'consumed') return null;
    const c = change.consumer;
    for (const { part, ranges } of change.receipt) {
      for (const d of part.readers.get(change.student) ?? []) {
        if (d === c || d.group === c.group) continue;
        const first = d.received.get(part)?.firstCommon(ranges) ?? null;
        if (first === null) continue;
        // Cite an offset whose receipt by d is still known (ReceiptLog keeps d's first and latest ones).
        const known = d.log.get(part)?.within(ranges);
        const offset = known?.offset ?? first;
        return evidence({
          summary: `Consumers ${d.id} (group ${d.group.id}) and ${c.id} (group ${c.group.id}) both received ${partText(part)} offset ${offset}.`,
          events: [d.startedSeq, c.startedSeq, known?.seq ?? 0, change.seq],
          consumers: [d, c],
          messages: [message(d, part, offset), message(c, part, offset)],
          topics: [part.topic.name],
          groups: [d.group.id, c.group.id],
        });
      }
    }
    return null;
  }
}
