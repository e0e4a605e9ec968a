// Whole-number query values: digits only, one sentence per field (fuzzing found `?after=` read as 0).
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { MessagesQueryDto } from '../../src/consumers/dto/messages-query.dto';
import { EventsQueryDto } from '../../src/timeline/events-query.dto';

function problems<T extends object>(cls: new () => T, query: Record<string, unknown>): { value: T; messages: string[] } {
  const value = plainToInstance(cls, query);
  return { value, messages: validateSync(value).flatMap((e) => Object.values(e.constraints ?? {})) };
}

describe('whole-number query values', () => {
  it('digits are read as the number', () => {
    const r = problems(MessagesQueryDto, { after: '42', limit: '2000' });
    expect([r.value.after, r.value.limit, r.messages]).toEqual([42, 2000, []]);
    expect(problems(EventsQueryDto, { after: '0', limit: '5000' }).messages).toEqual([]);
  });

  it.each(['', ' ', '1e3', '0x10', '-1', '2.5', 'abc'])('%j is refused with the field\'s one sentence', (raw) => {
    expect(problems(MessagesQueryDto, { after: raw }).messages).toEqual(['after must be a whole number of 0 or more: the seq of the last message you have, or 0']);
    expect(problems(EventsQueryDto, { after: raw }).messages).toEqual(['after must be a whole number of 0 or more: the seq of the last event you have, or 0']);
  });

  it('out of range and repeated values are refused too', () => {
    expect(problems(MessagesQueryDto, { limit: '0' }).messages).toEqual(['limit must be a whole number from 1 to 2000']);
    expect(problems(MessagesQueryDto, { limit: '2001' }).messages).toEqual(['limit must be a whole number from 1 to 2000']);
    expect(problems(MessagesQueryDto, { after: ['1', '2'] }).messages).toHaveLength(1);
    expect(problems(EventsQueryDto, { after: '9007199254740992' }).messages).toHaveLength(1);
  });
});
