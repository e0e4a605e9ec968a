import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { badInput } from '../common/lab-error';
import { TimelineService } from '../timeline/timeline.service';
import { ClassSettings, DEFAULT_QUOTAS, Quotas } from './class.types';
import type { ClassSettingsPatchDto } from './dto/class-settings.dto';
import { RosterStore } from './roster.store';

/**
 * The class's settings (join code, joining open, broker control, quotas), kept in the lab's database
 * so a restart keeps the code students were given. Every concern that enforces one reads `get()` at
 * the moment it decides, so a PATCH applies to the next request.
 */
@Injectable()
export class ClassSettingsService {
  private current: ClassSettings;

  constructor(private readonly store: RosterStore, private readonly timeline: TimelineService) {
    this.current = withDefaults(store.settings());
    // Saved at once: the code made now is the one a restart must still accept.
    store.saveSettings(this.current);
  }

  get(): ClassSettings {
    return this.current;
  }

  /** Applies the patch, keeps it, and tells the timeline which keys changed (never the code itself). */
  update(patch: ClassSettingsPatchDto, actor: string): ClassSettings {
    if (patch.rotateJoinCode && patch.joinCode !== undefined) {
      throw badInput('Give either joinCode or rotateJoinCode, not both.');
    }
    const before = this.current;
    const next: ClassSettings = {
      joinCode: patch.rotateJoinCode ? newJoinCode() : (patch.joinCode ?? before.joinCode),
      joinOpen: patch.joinOpen ?? before.joinOpen,
      studentsMayControlBrokers: patch.studentsMayControlBrokers ?? before.studentsMayControlBrokers,
      quotas: { ...before.quotas, ...definedOnly(patch.quotas ?? {}) },
    };
    const changed = changedKeys(before, next);
    if (changed.length === 0) return before;
    this.store.saveSettings(next);
    this.current = next;
    this.timeline.publish({ type: 'class.updated', actor, changed });
    return next;
  }
}

/** 8 hex digits: short enough to read out in a room, and join attempts are rate limited. */
function newJoinCode(): string {
  return randomBytes(4).toString('hex');
}

function withDefaults(stored: unknown): ClassSettings {
  const s = (stored && typeof stored === 'object' ? stored : {}) as Partial<ClassSettings>;
  return {
    joinCode: typeof s.joinCode === 'string' ? s.joinCode : newJoinCode(),
    joinOpen: typeof s.joinOpen === 'boolean' ? s.joinOpen : true,
    studentsMayControlBrokers: typeof s.studentsMayControlBrokers === 'boolean' ? s.studentsMayControlBrokers : false,
    // A quota added in a later version takes its default on data kept by an earlier one.
    quotas: { ...DEFAULT_QUOTAS, ...definedOnly(s.quotas ?? {}) },
  };
}

function definedOnly(q: Partial<Quotas>): Partial<Quotas> {
  return Object.fromEntries(Object.entries(q).filter(([k, v]) => k in DEFAULT_QUOTAS && typeof v === 'number')) as Partial<Quotas>;
}

/** Keys of the settings that differ, quotas as `quotas.<key>`. */
export function changedKeys(a: ClassSettings, b: ClassSettings): string[] {
  const out: string[] = [];
  for (const k of ['joinCode', 'joinOpen', 'studentsMayControlBrokers'] as const) if (a[k] !== b[k]) out.push(k);
  for (const k of Object.keys(DEFAULT_QUOTAS) as (keyof Quotas)[]) if (a.quotas[k] !== b.quotas[k]) out.push(`quotas.${k}`);
  return out;
}
