// The web page's pictures (partition map, group view, swimlane, rates, the instructor's board) in a
// real headless Chromium against the shared lab server and its real cluster. Assertions are on what
// is drawn (data-testid and data-* attributes), with deadlines.
import { Browser, chromium, Page } from 'playwright-core';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

interface Partition { partition: number; leader: number | null; replicas: number[]; isr: number[] }

describe('web pictures', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  const topics: string[] = [];
  const consumers: string[] = [];

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
});
