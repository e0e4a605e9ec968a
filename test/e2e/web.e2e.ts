// The web dashboard in a real (headless) Chromium against the shared lab server and its real cluster.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { api, sharedLab, uniqueName, waitFor } from '../support/lab';

const SCREENSHOT = path.resolve(__dirname, '../../.test-data/web.png');

describe('web dashboard', () => {
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  const topic = uniqueName('web-topic');
  let consumerId: string | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
  });

  const jobs = uniqueName('web-jobs');
  const moreConsumers: string[] = [];

  afterAll(async () => {
    await browser?.close();
    for (const id of [consumerId, ...moreConsumers]) if (id) await api().delete(`/api/consumers/${id}`);
    await api().delete(`/api/topics/${topic}`);
    await api().delete(`/api/topics/${jobs}`);
  });

  /** Starts a consumer through the form and answers its card once the card shows it running. */
  async function startFromForm(topicName: string, group: string, protocol: string, ack?: string) {
    await page.fill('[data-testid=consumer-topic]', topicName);
    await page.fill('[data-testid=consumer-group]', group);
    await page.uncheck('[data-testid=consumer-from-beginning]');
    await page.selectOption('[data-testid=consumer-protocol]', protocol);
    if (ack) await page.selectOption('[data-testid=consumer-ack]', ack);
    await page.click('[data-testid=consumer-start]');
    const card = page.locator(`[data-testid=consumer-card][data-topic="${topicName}"][data-protocol="${protocol}"]`).first();
    await card.waitFor({ timeout: 15_000 });
    const id = await card.getAttribute('data-consumer-id');
    expect(id).toBeTruthy();
    moreConsumers.push(id!);
    const byId = page.locator(`[data-testid=consumer-card][data-consumer-id="${id}"]`);
    await page.locator(`[data-testid=consumer-card][data-consumer-id="${id}"][data-state=running]`).waitFor({ timeout: 60_000 });
    return byId;
  }

  it('shows the cluster, creates a topic, consumes from the beginning and sees a produced message arrive', async () => {
    const { url, token } = sharedLab();
    await page.goto(`${url}/#token=${token}`);

    // Cluster panel: three running brokers (the shared cluster may have more).
    const running = page.locator('[data-testid=node-row][data-role=broker][data-state=running]');
    await running.nth(2).waitFor({ timeout: 30_000 });
    expect(await running.count()).toBeGreaterThanOrEqual(3);
    await page.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });

    // Topic through the form; its description shows one row per partition with a leader.
    await page.fill('[data-testid=topic-name]', topic);
    await page.fill('[data-testid=topic-partitions]', '3');
    await page.fill('[data-testid=topic-rf]', '3');
    await page.click('[data-testid=topic-create]');
    await page.locator(`[data-testid=topic-row][data-topic="${topic}"]`).waitFor({ timeout: 30_000 });
    const partitions = page.locator('[data-testid=topic-describe] [data-testid=partition-row]');
    await partitions.nth(2).waitFor({ timeout: 10_000 });
    expect(await partitions.count()).toBe(3);

    // Creating it again is refused, and the page shows the server's sentence.
    await page.fill('[data-testid=topic-name]', topic);
    await page.click('[data-testid=topic-create]');
    const error = page.locator('[data-testid=error]').first();
    await error.waitFor({ timeout: 10_000 });
    expect((await error.innerText()).length).toBeGreaterThan(10);
    expect(await error.innerText()).not.toContain('statusCode');
    await error.locator('button').click();

    // A consumer from the beginning: its card appears and reaches "running".
    await page.fill('[data-testid=consumer-topic]', topic);
    await page.check('[data-testid=consumer-from-beginning]');
    await page.click('[data-testid=consumer-start]');
    const card = page.locator(`[data-testid=consumer-card][data-topic="${topic}"]`);
    await card.waitFor({ timeout: 15_000 });
    consumerId = (await card.getAttribute('data-consumer-id')) ?? undefined;
    expect(consumerId).toBeTruthy();
    await page.locator(`[data-testid=consumer-card][data-topic="${topic}"][data-state=running]`).waitFor({ timeout: 60_000 });

    // Produce through the form; the message shows up in the card, live.
    const value = `hello-from-the-web-${Date.now()}`;
    await page.fill('[data-testid=producer-topic]', topic);
    await page.fill('[data-testid=producer-value]', value);
    await page.click('[data-testid=producer-send]');
    await page.locator('[data-testid=producer-result]', { hasText: 'sent' }).waitFor({ timeout: 30_000 });
    await card.locator('[data-testid=consumer-message]', { hasText: value }).waitFor({ timeout: 60_000 });
    expect(Number(await card.locator('[data-testid=consumer-received]').innerText())).toBeGreaterThanOrEqual(1);
    expect(await card.locator('[data-testid=consumer-assignment]').innerText()).toContain(`${topic} [`);

    // The timeline saw the topic being created.
    await page.locator('[data-testid=timeline-event][data-type="topic.created"]', { hasText: topic }).waitFor({ timeout: 15_000 });

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(pageErrors).toEqual([]);
  });
  it('starts a consumer-protocol member from the form and shows its member epoch and the epoch of its rebalance', async () => {
    const card = await startFromForm(topic, uniqueName('web-new-g'), 'consumer');
    expect(await card.locator('[data-testid=consumer-protocol]').innerText()).toBe('consumer protocol');
    const epoch = card.locator('[data-testid=consumer-epoch]');
    await waitFor('a member epoch above 0 on the card', async () => Number(await epoch.innerText()) > 0, 30_000);
    const rebalance = card.locator('[data-testid=consumer-rebalance]').first();
    await rebalance.waitFor({ timeout: 30_000 });
    expect(await rebalance.innerText()).toMatch(/^% Group \S+ rebalanced \(memberid [^,)]+, epoch \d+\): assigned: /);
    expect(Number(await rebalance.getAttribute('data-epoch'))).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });

  it('a manual share consumer releases a record with its button; the record comes back with delivery 2', async () => {
    const created = await api().post('/api/topics').send({ name: jobs, partitions: 1, replicationFactor: 3 });
    expect(created.status).toBe(201);
    const card = await startFromForm(jobs, uniqueName('web-workers'), 'share', 'manual');
    expect(await card.locator('[data-testid=consumer-protocol]').innerText()).toBe('share group, manual acks');

    const value = `job-from-the-web-${Date.now()}`;
    const produced = await api().post(`/api/topics/${jobs}/messages`).send({ value });
    expect(produced.status).toBe(201);
    const first = card.locator('[data-testid=consumer-message][data-delivery-count="1"]', { hasText: value });
    await first.waitFor({ timeout: 60_000 });
    await first.locator('[data-testid=ack-release]').click();
    await first.locator('[data-testid=ack-state]', { hasText: 'released' }).waitFor({ timeout: 10_000 });

    const again = card.locator('[data-testid=consumer-message][data-delivery-count="2"]', { hasText: value });
    await again.waitFor({ timeout: 30_000 });
    expect(await again.locator('[data-testid=consumer-delivery]').innerText()).toBe('delivery 2');
    await again.locator('[data-testid=ack-accept]').click();
    await again.locator('[data-testid=ack-state]', { hasText: 'accepted' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-groups.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
