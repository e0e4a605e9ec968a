import { Injectable } from '@nestjs/common';
import { Principal, INSTRUCTOR_ID } from '../class/principal';
import { withDeadline } from '../common/deadline';
import { LabError } from '../common/lab-error';
import { CommittedOffsetView, GroupView } from '../consumers/consumer.types';
import { GroupsService } from '../consumers/groups.service';
import type { LagReading, LagRow } from './lab-metrics';

/** The instructor sees every group by its cluster name. */
const EVERYONE: Principal = { id: INSTRUCTOR_ID, name: 'instructor', role: 'instructor' };

/** A scrape answers within this even when the cluster does not (Prometheus's own default timeout is 10 s). */
export const LAG_DEADLINE_MS = 4000;

/**
 * Every group's lag per partition, read with the same calls as GET /api/groups and /api/groups/{id},
 * within a deadline: what is not in by then is left out (and said so by `complete`). Scrapes that
 * come while one reading runs share it, so a hanging cluster never piles them up.
 */
@Injectable()
export class GroupLag {
  private running: Promise<LagReading> | null = null;

  constructor(private readonly groups: GroupsService) {}

  read(deadlineMs = LAG_DEADLINE_MS): Promise<LagReading> {
    if (!this.running) {
      this.running = this.collect(Date.now() + deadlineMs).finally(() => (this.running = null));
    }
    return this.running;
  }

  private async collect(deadline: number): Promise<LagReading> {
    const left = () => Math.max(1, deadline - Date.now());
    let ids: string[];
    try {
      // Share groups have no committed offsets, so no lag (their records in flight are another figure).
      ids = (await withDeadline(this.groups.list(EVERYONE), left())).filter((g) => g.type !== 'share').map((g) => g.groupId);
    } catch {
      return { rows: [], complete: false };
    }
    const views = await Promise.allSettled(ids.map((id) => withDeadline(this.groups.describe(EVERYONE, id), left())));
    const rows: LagRow[] = [];
    for (const v of views) if (v.status === 'fulfilled') rows.push(...lagRows(v.value));
    // A group gone between the listing and its description (a test's, a student's removed) has no lag to miss.
    return { rows, complete: views.every((v) => v.status === 'fulfilled' || (v.reason instanceof LabError && v.reason.code === 'NOT_FOUND')) };
  }
}

/** A group view's partitions with a known lag (a partition without a commit or an end offset has none). */
export function lagRows(view: GroupView): LagRow[] {
  if (view.type === 'share') return [];
  return (view.offsets as CommittedOffsetView[])
    .filter((o) => o.lag !== null)
    .map((o) => ({ group: view.groupId, topic: o.topic, partition: o.partition, lag: o.lag as number }));
}
