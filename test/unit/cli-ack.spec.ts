// Acknowledging share records from the terminal: the commands `klab consume --ack manual` reads on
// stdin, the record specs of `klab ack`, and how a bare offset finds the record a consumer holds.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ack = require('../../clients/cli/lib/ack');

const msg = (partition: number, offset: string, value = `job${offset}`, deliveryCount = 1) => ({ topic: 'jobs', partition, offset, value, deliveryCount });

describe('ack commands typed on stdin', () => {
  it('reads the short and long spellings of accept, release and reject', () => {
    expect(ack.parseCommand('r 5')).toEqual({ action: 'ack', type: 'release', targets: [{ from: 5, to: 5 }] });
    expect(ack.parseCommand('  accept 0:5  ')).toEqual({ action: 'ack', type: 'accept', targets: [{ partition: 0, from: 5, to: 5 }] });
    expect(ack.parseCommand('X jobs:1:7')).toEqual({ action: 'ack', type: 'reject', targets: [{ topic: 'jobs', partition: 1, from: 7, to: 7 }] });
    expect(ack.parseCommand('release 3-5, 9 all')).toEqual({ action: 'ack', type: 'release', targets: [{ from: 3, to: 5 }, { from: 9, to: 9 }, { all: true }] });
    expect(ack.parseCommand('a 0:2..4').targets).toEqual([{ partition: 0, from: 2, to: 4 }]);
  });

  it('knows list and help, and skips empty lines and comments', () => {
    expect(ack.parseCommand('l')).toEqual({ action: 'list' });
    expect(ack.parseCommand('list')).toEqual({ action: 'list' });
    expect(ack.parseCommand('?')).toEqual({ action: 'help' });
    expect(ack.parseCommand('   ')).toBeNull();
    expect(ack.parseCommand('# release the slow one next')).toBeNull();
  });

  it('refuses what it cannot read with a sentence that says what to type', () => {
    expect(() => ack.parseCommand('frob 5')).toThrow(/^unknown command "frob": a\|accept, r\|release, x\|reject/);
    expect(() => ack.parseCommand('r')).toThrow('say which records to release, e.g. "r 5", "r 0:5" or "r all"');
    expect(() => ack.parseCommand('r five')).toThrow('"five" in "five" is not an offset or a range like 3-7');
    expect(() => ack.parseCommand('r x:5')).toThrow('"x" in "x:5" is not a partition number');
    expect(() => ack.parseCommand('r 7-3')).toThrow('the range 7-3 ends before it starts');
    expect(() => ack.parseCommand('r 1-5000')).toThrow(`the range 1-5000 names more than ${ack.MAX_RANGE} records`);
    expect(() => ack.parseCommand('r a:b:c:d')).toThrow(/is not a record/);
    expect(() => ack.parseVerb('keep')).toThrow('"keep" is not an acknowledgement: use accept (a), release (r) or reject (x)');
  });
});

describe('held records', () => {
  it('finds a bare offset among the records held, on whichever partition it is', () => {
    const held = new ack.HeldRecords();
    held.add(msg(0, '5'));
    held.add(msg(1, '9'));
    const { records, missing } = ack.resolveTargets(ack.parseCommand('r 5 9').targets, held, { heldOnly: true });
    expect(records).toEqual([{ topic: 'jobs', partition: 0, offset: '5' }, { topic: 'jobs', partition: 1, offset: '9' }]);
    expect(missing).toEqual([]);
  });

  it('asks which one when an offset is held on two partitions', () => {
    const held = new ack.HeldRecords();
    held.add(msg(0, '5'));
    held.add(msg(2, '5'));
    expect(() => ack.resolveTargets([{ from: 5, to: 5 }], held, { heldOnly: true })).toThrow('offset 5 is held on jobs [0] and jobs [2]: say which, e.g. jobs:0:5');
    expect(ack.resolveTargets([{ partition: 2, from: 5, to: 5 }], held, { heldOnly: true }).records).toEqual([{ topic: 'jobs', partition: 2, offset: '5' }]);
  });

  it('names what is not held (yet): klab consume sees every delivery, so it waits or says so', () => {
    const held = new ack.HeldRecords();
    held.add(msg(0, '5'));
    const { records, missing } = ack.resolveTargets(ack.parseCommand('a 4-5 jobs:0:6 1:5').targets, held, { heldOnly: true });
    expect(records).toEqual([{ topic: 'jobs', partition: 0, offset: '5' }]);
    expect(missing).toEqual(['offset 4', 'jobs:0:6', '1:5']);
  });

  it('"all" is every record held, once, and nothing once they are acknowledged', () => {
    const held = new ack.HeldRecords();
    [msg(1, '2'), msg(0, '7'), msg(0, '3')].forEach((m) => held.add(m));
    const all = ack.resolveTargets([{ all: true }, { from: 3, to: 3 }], held, { heldOnly: true }).records;
    expect(all).toEqual([{ topic: 'jobs', partition: 0, offset: '3' }, { topic: 'jobs', partition: 0, offset: '7' }, { topic: 'jobs', partition: 1, offset: '2' }]);
    held.remove('jobs', 0, ['3', '7']);
    held.remove('jobs', 1, [2]);
    expect(held.size).toBe(0);
    expect(ack.resolveTargets([{ all: true }], held).records).toEqual([]);
  });

  it('a redelivery replaces the older delivery, and the list shows its age and delivery count', () => {
    let now = 1_000_000;
    const held = new ack.HeldRecords(() => now);
    held.add(msg(0, '5'));
    now += 4_000;
    held.add(msg(0, '5', 'job5', 2));
    held.add(msg(0, '6', null as unknown as string));
    now += 3_000;
    expect(held.size).toBe(2);
    expect(held.describe()).toEqual(['held: jobs [0] @5 "job5" (3 s ago, delivery 2)', 'held: jobs [0] @6 (null) (3 s ago)']);
    expect(new ack.HeldRecords().describe()).toEqual(['no records held']);
  });

  it('an acknowledged delivery is forgotten, but not a newer delivery of the record that came back before the answer', () => {
    const held = new ack.HeldRecords();
    held.add(msg(0, '5'));
    held.add(msg(0, '6'));
    // The release of delivery 1 of offset 5 was sent; delivery 2 arrived before the answer.
    held.add(msg(0, '5', 'job5', 2));
    held.remove('jobs', 0, ['5', '6'], new Map([['5', 1], ['6', 1]]));
    expect(held.list().map((r: { offset: string; deliveryCount: number }) => [r.offset, r.deliveryCount])).toEqual([['5', 2]]);
    expect(held.get('jobs', 0, 5).deliveryCount).toBe(2);
    held.remove('jobs', 0, ['5']); // an acknowledgement made elsewhere: no delivery to tell by
    expect(held.size).toBe(0);
  });

  it('tells a waiting command about each new delivery until it stops listening', () => {
    const held = new ack.HeldRecords();
    const seen: number[] = [];
    const stop = held.onAdd(() => seen.push(held.size));
    held.add(msg(0, '1'));
    held.add(msg(0, '2'));
    stop();
    held.add(msg(0, '3'));
    expect(seen).toEqual([1, 2]);
  });
});

describe('klab ack: records named without a held list', () => {
  it('takes topic:partition:offset as given, and borrows the only topic and partition for shorter specs', () => {
    const targets = ['jobs:0:5', '1:7', '9'].map(ack.parseTarget);
    expect(ack.resolveTargets(targets, null, { defaultTopic: 'jobs', partitions: [0] }).records).toEqual([
      { topic: 'jobs', partition: 0, offset: '5' },
      { topic: 'jobs', partition: 1, offset: '7' },
      { topic: 'jobs', partition: 0, offset: '9' },
    ]);
  });

  it('says a bare offset is not enough when the consumer reads several partitions', () => {
    expect(ack.resolveTargets([ack.parseTarget('9')], null, { defaultTopic: 'jobs', partitions: [0, 1] }).missing).toEqual(['offset 9']);
    expect(ack.resolveTargets([ack.parseTarget('0:9')], null, {}).missing).toEqual(['0:9']);
  });

  it('builds the body of the acknowledge route', () => {
    expect(ack.toAcks('release', [{ topic: 'jobs', partition: 0, offset: '5' }])).toEqual([{ topic: 'jobs', partition: 0, offset: '5', type: 'release' }]);
  });
});

describe('own acknowledgements are not printed twice', () => {
  it('claims the share.acknowledged event of an acknowledgement sent here, not one made elsewhere', () => {
    const own = new ack.OwnAcks();
    own.mark('release', [{ topic: 'jobs', partition: 0, offset: '5' }, { topic: 'jobs', partition: 0, offset: '6' }]);
    expect(own.claims('accept', { topic: 'jobs', partition: 0, offsets: ['5'] })).toBe(false); // another type
    expect(own.claims('release', { topic: 'jobs', partition: 0, offsets: ['5', '7'] })).toBe(false); // 7 was not ours
    expect(own.claims('release', { topic: 'jobs', partition: 0, offsets: ['5', '6'] })).toBe(true);
    expect(own.claims('release', { topic: 'jobs', partition: 0, offsets: ['5'] })).toBe(false); // claimed once
  });
});
