// klab's class commands, their pure parts: `klab class set` words → PATCH body, and what the roster,
// the settings and new tokens look like on a terminal.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { classPatch, patchSummary } = require('../../clients/cli/lib/class-settings');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cfmt = require('../../clients/cli/lib/class-format');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { describeEvent, renderConsumers, renderGroups } = require('../../clients/cli/lib/format');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UsageError, parseArgs } = require('../../clients/cli/lib/args');

describe('klab class set key=value ...', () => {
  it('turns the words of the brief into one PATCH body', () => {
    expect(classPatch(['quotas.topics=5', 'quotas.producePerSecond=0', 'joinOpen=false', 'studentsMayControlBrokers=true', 'rotate'])).toEqual({
      quotas: { topics: 5, producePerSecond: 0 },
      joinOpen: false,
      studentsMayControlBrokers: true,
      rotateJoinCode: true,
    });
  });

  it('takes on/off and yes/no for switches, rotateJoinCode=true, and a join code of the instructor’s', () => {
    expect(classPatch(['joinOpen=off', 'studentsMayControlBrokers=YES', 'joinCode=kafka-101'])).toEqual({ joinOpen: false, studentsMayControlBrokers: true, joinCode: 'kafka-101' });
    expect(classPatch(['rotateJoinCode=true'])).toEqual({ rotateJoinCode: true });
    // rotate=false asks for nothing: the body says nothing about the code.
    expect(classPatch(['rotate=false', 'joinOpen=true'])).toEqual({ joinOpen: true });
  });

  it('refuses what the server would have to guess at, with a sentence, before sending anything', () => {
    const refused = (words: string[]) => {
      try {
        classPatch(words);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error(`accepted ${words.join(' ')}`);
    };
    expect(refused([])).toMatch(/needs at least one change/);
    expect(refused(['joinopen=false'])).toBe('unknown class setting "joinopen" (joinOpen=true|false, studentsMayControlBrokers=true|false, joinCode=CODE, rotate, quotas.<name>=N)');
    expect(refused(['joinOpen=maybe'])).toBe('joinOpen takes true or false, not "maybe"');
    expect(refused(['quotas.topics=-1'])).toBe('quotas.topics takes a whole number of 0 or more, not "-1"');
    expect(refused(['quotas.topics=2.5'])).toMatch(/whole number/);
    expect(refused(['quotas.=3'])).toMatch(/unknown class setting "quotas\."/);
    expect(refused(['joinOpen'])).toMatch(/should look like key=value/);
    expect(refused(['joinCode='])).toMatch(/joinCode needs a value/);
  });

  it('says what changed without repeating a join code', () => {
    expect(patchSummary({ quotas: { topics: 5 }, joinOpen: false, rotateJoinCode: true, joinCode: 'secret-code' })).toBe('quotas.topics=5, joinOpen=false, a new join code, the join code you gave');
  });

  it('--purge is a flag of its own', () => {
    expect(parseArgs(['students', 'rm', 'ab12cd', '--purge'])).toEqual({ words: ['students', 'rm', 'ab12cd'], opts: { purge: true } });
  });
});

describe('the class on a terminal', () => {
  const now = Date.parse('2026-12-02T09:00:00Z');
  const roster = [
    { id: 'k3x9qa', name: 'Ada Lovelace', role: 'student', joinedAt: '2026-12-02T08:00:00Z', lastSeen: '2026-12-02T08:59:30Z', consumers: 2, topics: 1, checkpoints: ['pub-sub'] },
    { id: 'p0m2zz', name: 'Grace', role: 'student', joinedAt: '2026-12-01T09:00:00Z', lastSeen: null, consumers: 0, topics: 0, checkpoints: [] },
  ];

  it('shows the roster as a table with relative times', () => {
    expect(cfmt.renderRoster(roster, now).split('\n')).toEqual([
      'ID      NAME          JOINED   LAST SEEN  CONSUMERS  TOPICS  CHECKPOINTS',
      'k3x9qa  Ada Lovelace  1 h ago  30 s ago   2          1       pub-sub',
      'p0m2zz  Grace         1 d ago  never      0          0       -',
    ]);
    expect(cfmt.renderRoster([], now)).toMatch(/^\(no students yet/);
  });

  it('finds a student by id, else by name whatever its case, else by the start of one name only', () => {
    expect(cfmt.findStudent(roster, 'p0m2zz').student.name).toBe('Grace');
    expect(cfmt.findStudent(roster, 'ada lovelace').student.id).toBe('k3x9qa');
    expect(cfmt.findStudent(roster, 'ADA').student.id).toBe('k3x9qa');
    expect(cfmt.findStudent(roster, 'nobody')).toEqual({ candidates: [] });
    const twoAdas = [...roster, { ...roster[0], id: 'zz9zz9', name: 'Adams' }];
    expect(cfmt.findStudent(twoAdas, 'ada').candidates.map((s: { id: string }) => s.id)).toEqual(['k3x9qa', 'zz9zz9']);
    // A whole name wins over a longer one it starts.
    expect(cfmt.findStudent([...twoAdas, { ...roster[1], id: 'aaaaaa', name: 'Ada' }], 'ada').student.id).toBe('aaaaaa');
  });

  it('prints new tokens one per line under their student', () => {
    expect(cfmt.renderTokens([{ id: 'k3x9qa', name: 'Ada', token: 'tok-1' }])).toBe('ID      NAME  TOKEN\nk3x9qa  Ada   tok-1');
  });

  it('shows the settings, quotas aligned, whatever quota keys the server has', () => {
    const text = cfmt.renderClass({ joinCode: 'ab12cd34', joinOpen: false, studentsMayControlBrokers: true, quotas: { topics: 20, producePerSecond: 500 } });
    expect(text.split('\n')).toEqual([
      'Join code: ab12cd34 (joining CLOSED)',
      'Students may control brokers: yes',
      'Quotas per student (the instructor has none):',
      '  topics            20',
      '  producePerSecond  500',
    ]);
  });

  it('says "just now", minutes and hours the way people do', () => {
    expect(cfmt.ago('2026-12-02T08:59:58Z', now)).toBe('just now');
    expect(cfmt.ago('2026-12-02T08:55:00Z', now)).toBe('5 min ago');
    expect(cfmt.ago('2026-12-02T06:00:00Z', now)).toBe('3 h ago');
  });

  it('tells the class events on the timeline in a sentence (klab events and the page share it)', () => {
    expect(describeEvent({ type: 'student.joined', studentId: 'k3x9qa', name: 'Ada' })).toBe('Ada (k3x9qa) joined the class');
    expect(describeEvent({ type: 'student.removed', studentId: 'k3x9qa', name: 'Ada', purged: true })).toBe('Ada (k3x9qa) was removed from the class, with their topics');
    expect(describeEvent({ type: 'student.removed', studentId: 'k3x9qa' })).toBe('k3x9qa was removed from the class');
    expect(describeEvent({ type: 'class.updated', changed: ['quotas', 'joinOpen'] })).toBe('class settings changed: quotas, joinOpen');
  });

  it('adds an OWNER column to consumers and groups only when they have several owners (the instructor of a class)', () => {
    const c = { id: 'c1', name: 'a', groupId: 'g', topics: ['t'], state: 'running', received: 0, assignment: [] };
    expect(renderConsumers([{ ...c, owner: 'k3x9qa' }, { ...c, id: 'c2', owner: 'k3x9qa' }]).split('\n')[0]).not.toContain('OWNER');
    const mixed = renderConsumers([{ ...c, owner: 'k3x9qa' }, { ...c, id: 'c2', owner: 'instructor' }]).split('\n');
    expect(mixed[0]).toMatch(/^ID\s+NAME\s+OWNER\s+GROUP\s/);
    expect(mixed[2]).toMatch(/^c2\s+a\s+instructor\s+g\s/);
    const g = { groupId: 'test-group', type: 'classic', state: 'Stable', members: 3 };
    expect(renderGroups([{ ...g, owner: 'k3x9qa' }, { ...g, owner: 'p0m2zz' }]).split('\n')).toEqual([
      'GROUP       OWNER   TYPE     STATE   MEMBERS',
      'test-group  k3x9qa  classic  Stable  3',
      'test-group  p0m2zz  classic  Stable  3',
    ]);
  });
});
