import { Transform } from 'class-transformer';
import { QueryWholeNumber, WholeNumber } from '../common/query-number';
import { IsOptional, ValidateBy, ValidationArguments } from 'class-validator';
import { EVENT_TYPES, EventType } from './events';

export const MAX_EVENTS_LIMIT = 5000;

const KNOWN = new Set<string>(EVENT_TYPES);

/** `types=a,b` and `types=a&types=b` both become ['a', 'b']; empty entries are ignored. */
function toTypeList({ value }: { value: unknown }): unknown {
  if (value === undefined || value === null) return undefined;
  const parts = (Array.isArray(value) ? value : [value])
    .flatMap((v) => String(v).split(','))
    .map((s) => s.trim())
    .filter(Boolean);
  return parts.length ? parts : undefined;
}

function unknownTypes(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((t) => !KNOWN.has(String(t))).map(String) : [String(value)];
}

/** Every entry is a timeline event type; the message names the ones that are not. */
function AreEventTypes() {
  return ValidateBy({
    name: 'areEventTypes',
    validator: {
      validate: (value: unknown) => Array.isArray(value) && unknownTypes(value).length === 0,
      defaultMessage: (args?: ValidationArguments) => {
        const bad = unknownTypes(args?.value);
        const list = bad.map((t) => `"${t}"`).join(', ');
        return `types has ${list}, which ${bad.length === 1 ? 'is not an event type' : 'are not event types'}; the types are ${EVENT_TYPES.join(', ')}`;
      },
    },
  });
}

/** `GET /api/events?after=<seq>&types=<comma list>&limit=<n>` */
export class EventsQueryDto {
  @IsOptional()
  @QueryWholeNumber()
  @WholeNumber(0, Number.MAX_SAFE_INTEGER, 'after must be a whole number of 0 or more: the seq of the last event you have, or 0')
  after?: number;

  @IsOptional()
  @Transform(toTypeList)
  @AreEventTypes()
  types?: EventType[];

  @IsOptional()
  @QueryWholeNumber()
  @WholeNumber(1, MAX_EVENTS_LIMIT, `limit must be a whole number from 1 to ${MAX_EVENTS_LIMIT}`)
  limit?: number;
}
