import { ShareGroupRule } from '../../src/grading/engine/rules/share-group';
import { World } from '../../src/grading/engine/world';
import { ReceiptLog } from '../../src/grading/engine/world-state';
import { Timeline } from './grading-timeline';

const ALICE = 'alice1';
const BOB = 'bobby2';
const n = Timeline.name;

/** Every event of the timeline into a fresh world (and a rule, when given). */
function fold(tl: Timeline, rule?: ShareGroupRule): World {
  const world = new World();
  for (const { ev, scope } of tl.events) {
    const change = world.apply(ev, scope);
    if (change && rule) rule.check(change, world);
  }
  return world;
}

/** What the engine keeps grows with the things of the class, not with every event that names them. */
describe('grading engine: memory', () => {
  it('keeps the writes of one outage to a partition as one run, however many producers and events wrote them', () => {
    const tl = new Timeline();
    tl.topicCreated('instructor', 'events', 1, 3);
    tl.node('node.killed', 2);
    for (let i = 0; i < 100; i++) tl.produced(i % 2 ? BOB : 'instructor', 'events', { 0: [[i * 5, i * 5 + 4]] });
    tl.node('node.started', 2);
    tl.produced('instructor', 'events', { 0: [[500, 509]] });
    tl.node('node.paused', 3);
    tl.produced('instructor', 'events', { 0: [[510, 519]] });
    tl.produced('instructor', 'events', { 0: [[520, 529]] });
    const runs = fold(tl).topic('events').part(0).downWrites;
    expect(runs.map((r) => [r.first, r.last, r.outages.map((o) => o.nodeId), [...r.writers.keys()]])).toEqual([
      [0, 499, [2], ['', BOB]],
      [510, 529, [3], ['']],
    ]);
    expect(runs[0].outages[0]).toMatchObject({ downSeq: 2, upSeq: 103 });
  });

  it("keeps a bounded number of a consumer's receipts, the first and the latest ones", () => {
    const tl = new Timeline();
    const t = n(ALICE, 'feed');
    tl.started(ALICE, 'c-a', n(ALICE, 'g'), [t]);
    const seqs = [];
    for (let i = 0; i < 1000; i++) seqs.push(tl.consumed('c-a', t, { 0: [[i * 10, i * 10 + 9]] }).seq);
    const world = fold(tl);
    const c = world.consumers.get('c-a')!;
    const part = world.topic(t).part(0);
    expect(c.log.get(part)!.size).toBe(ReceiptLog.HEAD + ReceiptLog.RECENT);
    expect(c.seqOf(part, 0)).toBe(seqs[0]);
    expect(c.seqOf(part, 9999)).toBe(seqs[999]);
    expect(c.seqOf(part, 5000)).toBe(0);
    expect(c.received.get(part)!.spans).toEqual([[0, 9999]]);
  });

  it('forgets released share records once they came back, and a group once its student passed', () => {
    const tl = new Timeline();
    const t = n(ALICE, 'jobs');
    const g = n(ALICE, 'pool');
    tl.started(ALICE, 's-1', g, [t], 'share');
    tl.started(ALICE, 's-2', g, [t], 'share');
    for (let o = 0; o < 50; o++) {
      tl.acknowledged('s-1', t, 0, [o], 'release');
      tl.redelivered('s-1', t, 0, o, 1);
    }
    const rule = new ShareGroupRule();
    const world = fold(tl, rule);
    const groups = rule['groups'];
    expect(groups.get(world.group(g))!.released.size).toBe(0);
    tl.consumed('s-1', t, { 0: [[0, 4]] });
    tl.consumed('s-2', t, { 0: [[5, 9]] });
    tl.acknowledged('s-1', t, 0, [3], 'release');
    tl.redelivered('s-2', t, 0, 3, 2);
    const rule2 = new ShareGroupRule();
    fold(tl, rule2);
    expect(rule2['groups'].size).toBe(0);
  });
});
