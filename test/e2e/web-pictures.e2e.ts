// The web page's pictures (partition map, group view, swimlane, rates, the instructor's board) in a
// real headless Chromium against the shared lab server and its real cluster. Assertions are on what
// is drawn (data-testid and data-* attributes), with deadlines.
import { Browser, chromium, Page } from 'playwright-core';
import { eventMark, eventsSince } from '../support/events';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

interface Partition { partition: number; leader: number | null; replicas: number[]; isr: number[] }

describe('web pictures', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const topics: string[] = [];
  const consumers: string[] = [];
  const students: string[] = [];

  const describeTopic = async (name: string): Promise<Partition[]> => (await api().get(`/api/topics/${name}`).expect(200)).body.partitions;
  /** Every broker running and every replica of our topics in sync: what the next test file expects. */
  const clusterWhole = async () => {
    const c = (await api().get('/api/cluster').expect(200)).body;
    for (const b of c.brokers) {
      if (b.state === 'paused') await api().post(`/api/cluster/nodes/${b.id}/resume`);
      else if (b.state !== 'running' && b.state !== 'starting') await api().post(`/api/cluster/nodes/${b.id}/start`);
    }
    await waitFor('every broker running and every replica in sync again', async () => {
      const cl = (await api().get('/api/cluster')).body;
      if (cl.state !== 'running' || !cl.brokers.every((b: { state: string }) => b.state === 'running')) return false;
      for (const t of topics) {
        const d = await api().get(`/api/topics/${t}`);
        if (d.status === 200 && !d.body.partitions.every((p: Partition) => p.leader !== null && p.isr.length === p.replicas.length)) return false;
      }
      return true;
    }, 120_000, 250);
  };

  async function newTopic(prefix: string, partitions = 3) {
    const name = uniqueName(prefix);
    await api().post('/api/topics').send({ name, partitions, replicationFactor: 3 }).expect(201);
    topics.push(name);
    return name;
  }

  /** Starts a consumer through the API and waits until it runs with partitions or the group settles. */
  async function startConsumer(topic: string, groupId: string, name: string, protocol: 'classic' | 'consumer') {
    const body: Record<string, unknown> = { topics: [topic], groupId, name };
    if (protocol !== 'classic') body.protocol = protocol;
    const c = (await api().post('/api/consumers').send(body).expect(201)).body;
    consumers.push(c.id);
    await waitFor(`consumer ${name} running`, async () => (await api().get(`/api/consumers/${c.id}`)).body.state === 'running', 60_000, 200);
    return c.id as string;
  }

  /** Waits until every partition of the group is held by exactly one of `ids` (the group settled). */
  async function settled(groupId: string, ids: string[], partitions = 3) {
    await waitFor(`group ${groupId} settled over ${ids.length} member(s)`, async () => {
      const held = await Promise.all(ids.map(async (id) => (await api().get(`/api/consumers/${id}`)).body.assignment.flatMap((a: { partitions: number[] }) => a.partitions)));
      const all = held.flat();
      return all.length === partitions && new Set(all).size === partitions && held.every((ps) => ps.length > 0);
    }, 90_000, 250);
  }

  async function showGroup(groupId: string) {
    await page.locator(`[data-testid=gview-group] option[value="${groupId}"]`).waitFor({ state: 'attached', timeout: 15_000 });
    await page.selectOption('[data-testid=gview-group]', groupId);
  }

  const lane = (id: string) => page.locator(`[data-testid=gview-lane][data-consumer-id="${id}"]`);
  const gaps = (id: string) => page.locator(`[data-testid=swim-gap][data-consumer-id="${id}"]`);

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const { url, token } = sharedLab();
    await page.goto(`${url}/#token=${token}`);
    await page.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
  });

  afterAll(async () => {
    if (pageErrors.length || consoleErrors.length) console.log(`page errors: ${JSON.stringify(pageErrors)}; console errors: ${JSON.stringify(consoleErrors)}`);
    await browser?.close();
    for (const id of consumers) await api().delete(`/api/consumers/${id}`);
    await clusterWhole();
    for (const t of topics) await api().delete(`/api/topics/${t}`);
    for (const id of students) await api().delete(`/api/students/${id}?purge=true`);
  });

  it('partition map: a killed broker greys its column at once, the new leaders show within 2 s of Kafka electing them, and the broker starts again from its menu', async () => {
    const topic = uniqueName('pics-map');
    await api().post('/api/topics').send({ name: topic, partitions: 3, replicationFactor: 3 }).expect(201);
    topics.push(topic);
    const initial = await waitFor('a leader for every partition', async () => {
      const ps = await describeTopic(topic);
      return ps.every((p) => p.leader !== null && p.isr.length === 3) ? ps : undefined;
    }, 30_000, 250);

    // The map picks up the new topic from topic.created; choose it.
    await page.locator(`[data-testid=pmap-topic] option[value="${topic}"]`).waitFor({ state: 'attached', timeout: 10_000 });
    await page.selectOption('[data-testid=pmap-topic]', topic);
    const rows = page.locator('[data-testid=pmap-row]');
    await waitFor('three rows in the partition map', async () => (await rows.count()) === 3, 10_000);
    for (const p of initial) {
      expect(await page.locator(`[data-testid=pmap-row][data-partition="${p.partition}"]`).getAttribute('data-leader')).toBe(String(p.leader));
      expect(await page.locator(`[data-testid=pmap-cell][data-partition="${p.partition}"][data-role=replica][data-insync=true]`).count()).toBe(2);
    }

    // Kill the leader of partition 0 through the API (as another tab or klab would).
    const victim = initial[0].leader!;
    const touched = page.locator(`[data-testid=pmap-cell][data-partition="0"][data-touched=true]`).first().waitFor({ timeout: 60_000 });
    await api().post(`/api/cluster/nodes/${victim}/kill`).expect(200);
    const killedAt = Date.now();
    await page.locator(`[data-testid=pmap-broker][data-broker="${victim}"][data-down=true]`).waitFor({ timeout: 2_000 });
    const greyMs = Date.now() - killedAt;
    expect(await page.locator(`[data-testid=pmap-cell][data-broker="${victim}"].down`).count()).toBe(3);

    // Kafka elects new leaders after the broker's session runs out; the map follows within 2 s of the API.
    const after = await waitFor('no partition led by the killed broker', async () => {
      const ps = await describeTopic(topic);
      return ps.every((p) => p.leader !== victim && p.leader !== null) ? ps : undefined;
    }, 60_000, 100);
    const electedAt = Date.now();
    await waitFor('the map showing the new leaders', async () => {
      for (const p of after) if ((await page.locator(`[data-testid=pmap-row][data-partition="${p.partition}"]`).getAttribute('data-leader')) !== String(p.leader)) return false;
      return true;
    }, 2_000, 50);
    const leadersMs = Date.now() - electedAt;
    await touched;
    // The killed broker's replicas are out of sync.
    await waitFor('the killed broker out of every ISR on the map', async () =>
      (await page.locator(`[data-testid=pmap-cell][data-broker="${victim}"][data-insync=true]`).count()) === 0, 30_000);
    console.log(`partition map: broker ${victim} greyed ${greyMs} ms after its kill answered; new leaders drawn ${leadersMs} ms after the API showed them`);

    // Its column header opens its actions (keyboard: Enter opens, Escape closes); start brings it back.
    const button = page.locator(`[data-testid=pmap-broker][data-broker="${victim}"] [data-testid=pmap-broker-button]`);
    await button.focus();
    await page.keyboard.press('Enter');
    const menu = page.locator(`[data-testid=pmap-menu][data-broker="${victim}"]`);
    await menu.waitFor({ timeout: 5_000 });
    expect(await menu.locator('[data-testid=pmap-action][data-action=kill]').isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
    await button.click();
    await menu.locator('[data-testid=pmap-action][data-action=start]').click();
    await page.locator(`[data-testid=pmap-broker][data-broker="${victim}"][data-down=false]`).waitFor({ timeout: 90_000 });
    await clusterWhole();
    await waitFor('every replica in sync on the map', async () => (await page.locator('[data-testid=pmap-cell][data-insync=true]').count()) === 9 &&
      (await page.locator('[data-testid=pmap-cell][data-insync=false]').count()) === 0, 30_000);
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  const classicGroup = uniqueName('pics-classic');
  const classic: string[] = [];
  let classicTopic = '';

  it('group view: a new member appears as a lane holding its partitions; offsets and lag are those of GET /api/groups', async () => {
    classicTopic = await newTopic('pics-group');
    classic.push(await startConsumer(classicTopic, classicGroup, 'pics-a', 'classic'));
    await settled(classicGroup, classic);
    await showGroup(classicGroup);
    await lane(classic[0]).locator('[data-testid=gview-chip]').nth(2).waitFor({ timeout: 10_000 });

    classic.push(await startConsumer(classicTopic, classicGroup, 'pics-b', 'classic'));
    await settled(classicGroup, classic);
    // The new member's lane, with its partitions; the first one gave some up.
    await lane(classic[1]).locator('[data-testid=gview-chip]').first().waitFor({ timeout: 10_000 });
    await waitFor('three partitions over the two lanes', async () => (await page.locator('[data-testid=gview-lane] [data-testid=gview-chip]').count()) === 3 &&
      (await lane(classic[0]).locator('[data-testid=gview-chip]').count()) > 0, 10_000);

    // Messages consumed: the drawn offsets follow the group's, refreshed by the events.
    await api().post(`/api/topics/${classicTopic}/messages`).send({ messages: Array.from({ length: 9 }, (_, i) => ({ value: `m${i}`, partition: i % 3 })) }).expect(201);
    await waitFor('the offsets drawn as the API reports them, everything committed', async () => {
      const g = (await api().get(`/api/groups/${classicGroup}`).expect(200)).body;
      if (!g.offsets.every((o: { latest: string; committed: string | null }) => o.latest === '3' && o.committed === '3')) return false;
      const rows = page.locator('[data-testid=gview-offset]');
      if ((await rows.count()) !== 3) return false;
      for (const o of g.offsets) {
        const row = page.locator(`[data-testid=gview-offset][data-partition="${o.partition}"]`);
        if ((await row.getAttribute('data-committed')) !== o.committed || (await row.getAttribute('data-latest')) !== o.latest || (await row.getAttribute('data-lag')) !== String(o.lag)) return false;
      }
      return true;
    }, 60_000, 250);

    // The rates: the topic's chart counted what was produced and consumed; the group's lag is charted too.
    const rates = page.locator(`[data-testid=rates-topic][data-topic="${classicTopic}"]`);
    await page.locator(`[data-testid=rates-topic][data-topic="${classicTopic}"][data-produced="9"][data-consumed="9"]`).waitFor({ timeout: 30_000 });
    expect(await rates.locator('canvas').count()).toBeGreaterThan(0);
    await page.locator(`[data-testid=rates-lag][data-group="${classicGroup}"][data-lag="0"] canvas`).waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
  });

  it('swimlane: every member of a classic group shows a gap (eager rebalances revoke everything); the untouched member of a consumer-protocol group shows none', async () => {
    // A third member joins, then the first leaves: every classic member was revoked everything once.
    classic.push(await startConsumer(classicTopic, classicGroup, 'pics-c', 'classic'));
    await settled(classicGroup, classic);
    await api().post(`/api/consumers/${classic[0]}/stop`).expect(200);
    await settled(classicGroup, classic.slice(1));
    for (const id of classic) await gaps(id).first().waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid=swim-lane]').count()).toBe(3);

    // The same with the consumer protocol (KIP-848): only what moves is revoked.
    const group = uniqueName('pics-848');
    const topic = await newTopic('pics-848');
    const ids: string[] = [];
    for (const n of ['pics-x', 'pics-y', 'pics-z']) {
      ids.push(await startConsumer(topic, group, n, 'consumer'));
      await settled(group, ids);
    }
    await showGroup(group);
    const mark = await eventMark();
    await api().post(`/api/consumers/${ids[2]}/stop`).expect(200);
    await settled(group, ids.slice(0, 2));
    // The member no rebalance gave or took a partition after the stop (an epoch bump moves nothing).
    const moved = (tps: Array<{ partitions: number[] }> | undefined) => (tps || []).some((tp) => tp.partitions.length > 0);
    const touched = new Set((await eventsSince(mark, ['group.rebalanced'])).filter((e) => e.groupId === group && (moved(e.assigned) || moved(e.revoked))).map((e) => e.consumerId));
    const untouched = ids.slice(0, 2).filter((id) => !touched.has(id));
    expect(untouched.length).toBeGreaterThan(0);
    await page.locator('[data-testid=swim-lane]').nth(2).waitFor({ timeout: 15_000 });
    await page.locator(`[data-testid=swim-lane][data-consumer-id="${ids[2]}"][data-ended=true]`).waitFor({ timeout: 15_000 });
    for (const id of untouched) {
      await page.locator(`[data-testid=swim-bar][data-consumer-id="${id}"]`).first().waitFor({ timeout: 10_000 });
      expect(await gaps(id).count()).toBe(0);
    }
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it("the instructor's board ticks a student's checkpoint as it passes, and a click (or Enter) opens that student's evidence", async () => {
    const name = uniqueName('Pics Ada');
    const student = (await api().post('/api/students').send({ name }).expect(201)).body;
    students.push(student.id);
    const row = page.locator(`[data-testid=board-row][data-student-id="${student.id}"]`);
    await row.waitFor({ timeout: 15_000 });
    const cell = row.locator('[data-testid=board-cell][data-checkpoint=replicated-topic]');
    expect(await cell.getAttribute('data-passed')).toBe('false');
    expect(await row.locator('[data-testid=board-last]').innerText()).toBe('never');

    // The student passes replicated-topic: the progress push ticks the board without a reload.
    await api(student.token).post('/api/topics').send({ name: 'pics-board-topic', partitions: 3, replicationFactor: 3 }).expect(201);
    await row.locator('[data-testid=board-cell][data-checkpoint=replicated-topic][data-passed=true]').waitFor({ timeout: 30_000 });
    expect(await cell.innerText()).toBe('✓');
    expect(await row.getAttribute('data-passed')).toBe('1');
    expect(await row.locator('[data-testid=board-last]').innerText()).not.toBe('never');

    // Keyboard: focus the row, Enter opens the evidence; Escape closes it and gives the row its focus back.
    await row.focus();
    await page.keyboard.press('Enter');
    const evidence = page.locator(`[data-testid=board-evidence][data-student-id="${student.id}"]`);
    await evidence.waitFor({ timeout: 10_000 });
    const item = evidence.locator('[data-testid=board-evidence-item][data-checkpoint=replicated-topic][data-passed=true]');
    await item.waitFor({ timeout: 10_000 });
    expect(await item.innerText()).toContain('pics-board-topic');
    await page.keyboard.press('Escape');
    await evidence.waitFor({ state: 'hidden', timeout: 5_000 });
    await row.click();
    await evidence.waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('at phone width the page does not scroll sideways; a student sees the map without node actions (the class does not allow them)', async () => {
    const student = (await api().post('/api/students').send({ name: uniqueName('Pics Lin') }).expect(201)).body;
    students.push(student.id);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
    const phone = await context.newPage();
    phone.on('pageerror', (e) => pageErrors.push(e.message));
    phone.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    await phone.goto(`${sharedLab().url}/#token=${student.token}`);
    await phone.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
    await api(student.token).post('/api/topics').send({ name: 'pics-phone', partitions: 2, replicationFactor: 3 }).expect(201);
    await phone.locator('[data-testid=pmap-row]').nth(1).waitFor({ timeout: 15_000 });
    expect(await phone.locator('[data-testid=pmap-broker]').count()).toBeGreaterThanOrEqual(3);
    expect(await phone.locator('[data-testid=pmap-broker-button]').count()).toBe(0);
    expect(await phone.locator('[data-testid=board-panel]').count()).toBe(0);
    for (const id of ['pmap-panel', 'gview-panel', 'swim-panel', 'rates-panel']) {
      const box = await phone.locator(`[data-testid=${id}]`).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    }
    expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await context.close();
    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
