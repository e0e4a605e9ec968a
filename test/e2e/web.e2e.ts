// The web dashboard in a real (headless) Chromium against the shared lab server and its real cluster.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { api, sharedLab, uniqueName } from '../support/lab';

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

  afterAll(async () => {
    await browser?.close();
    if (consumerId) await api().delete(`/api/consumers/${consumerId}`);
    await api().delete(`/api/topics/${topic}`);
  });

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
});
