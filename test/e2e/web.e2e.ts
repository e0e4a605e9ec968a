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

describe('web page and the class', () => {
  let browser: Browser;
  const pageErrors: string[] = [];
  const made: string[] = [];
  let original: { joinCode: string; joinOpen: boolean; studentsMayControlBrokers: boolean; quotas: Record<string, number> };
  let teacher: Page;
  let student: Page;
  const studentName = uniqueName('Lin');
  let joined: { id: string; token: string };
  /** Every URL the pages asked the server for (HTTP and WebSocket): no token may ride in one. */
  const requested: string[] = [];
  const dialogs: string[] = [];

  /** A page of its own browser context (its own localStorage: its own sign-in); dialogs are accepted. */
  async function open(hash: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1400 } });
    const page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      return d.accept();
    });
    page.on('request', (r) => requested.push(r.url()));
    page.on('websocket', (w) => requested.push(w.url()));
    await page.goto(`${sharedLab().url}/${hash}`);
    return page;
  }

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    original = (await api().get('/api/class').expect(200)).body;
  });

  afterAll(async () => {
    await browser?.close();
    // The class as it was for the files after this one.
    const { joinOpen, studentsMayControlBrokers, quotas } = original;
    await api().patch('/api/class').send({ joinOpen, studentsMayControlBrokers, quotas });
    for (const id of made) await api().delete(`/api/students/${id}?purge=true`);
  });

  it('the instructor adds students from the roster form; their tokens are shown once, each one working', async () => {
    teacher = await open(`#token=${sharedLab().token}`);
    await teacher.locator('[data-testid=roster-panel]').waitFor({ timeout: 15_000 });
    const names = [uniqueName('Ada'), uniqueName('Grace')];
    await teacher.fill('[data-testid=roster-names]', names.join('\n'));
    await teacher.click('[data-testid=roster-add]');
    const rows = teacher.locator('[data-testid=token-row]');
    const tokens: string[] = [];
    await rows.nth(1).waitFor({ timeout: 15_000 });
    expect(await rows.count()).toBe(2);
    for (let i = 0; i < 2; i++) {
      const id = (await rows.nth(i).getAttribute('data-student-id'))!;
      made.push(id);
      const token = await rows.nth(i).locator('[data-testid=token-value]').innerText();
      tokens.push(token);
      expect((await api(token).get('/api/me').expect(200)).body).toMatchObject({ id, name: names[i], role: 'student' });
      await teacher.locator(`[data-testid=roster-row][data-student-id="${id}"]`).waitFor({ timeout: 10_000 });
    }
    // Hidden once read, and the roster never shows a token.
    await teacher.click('[data-testid=tokens-done]');
    expect(await teacher.locator('[data-testid=tokens]').isHidden()).toBe(true);
    const roster = await teacher.locator('[data-testid=roster]').innerText();
    for (const token of tokens) expect(roster).not.toContain(token);
  });

  it('the instructor\'s "Your Kafka client" panel starts closed, the super user\'s password masked until Show; Copy copies the real kcat line', async () => {
    const si = (await api().get('/api/me/kafka').expect(200)).body as { username: string; password: string; kcat: string; clientProperties: string };
    const mask = '\u2022'.repeat(8);
    await teacher.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: sharedLab().url });
    await teacher.locator('[data-testid=kafka-panel]:not([hidden])').waitFor({ timeout: 30_000 });
    expect(await teacher.locator('[data-testid=kafka-body]').isHidden()).toBe(true);
    // Not on the page at all while masked, not even in a closed part.
    expect(await teacher.content()).not.toContain(si.password);
    await teacher.click('[data-testid=kafka-expand]');
    await teacher.locator('[data-testid=kafka-body]:not([hidden])').waitFor({ timeout: 5_000 });
    expect(await teacher.textContent('[data-testid=kafka-username]')).toBe('instructor');
    expect(await teacher.textContent('[data-testid=kafka-password]')).toBe(mask);
    expect(await teacher.textContent('[data-testid=kafka-kcat]')).toBe(si.kcat.split(si.password).join(mask));
    expect(await teacher.content()).not.toContain(si.password);
    await teacher.click('[data-testid=kafka-kcat-copy]');
    await teacher.locator('[data-testid=kafka-kcat-copy]', { hasText: 'copied' }).waitFor({ timeout: 5_000 });
    expect(await teacher.evaluate(() => navigator.clipboard.readText())).toBe(si.kcat);
    await teacher.click('[data-testid=kafka-reveal]');
    expect(await teacher.textContent('[data-testid=kafka-password]')).toBe(si.password);
    expect(await teacher.textContent('[data-testid=kafka-kcat]')).toBe(si.kcat);
    expect(await teacher.textContent('[data-testid=kafka-properties]')).toBe(si.clientProperties);
    await teacher.click('[data-testid=kafka-reveal]');
    expect(await teacher.content()).not.toContain(si.password);
  });

  it('the instructor changes a quota and closes joining from the settings form, then makes a new join code', async () => {
    const topics = original.quotas.topics + 2;
    await teacher.fill('[data-testid=quota-topics]', String(topics));
    await teacher.uncheck('[data-testid=class-join-open]');
    await teacher.click('[data-testid=class-save]');
    await teacher.locator('[data-testid=class-result]', { hasText: 'saved: joinOpen, quotas.topics' }).waitFor({ timeout: 10_000 });
    expect((await api().get('/api/class')).body).toMatchObject({ joinOpen: false, quotas: expect.objectContaining({ topics }) });

    await teacher.check('[data-testid=class-join-open]');
    await teacher.click('[data-testid=class-save]');
    await teacher.locator('[data-testid=class-result]', { hasText: 'saved: joinOpen' }).waitFor({ timeout: 10_000 });
    const before = (await api().get('/api/class')).body.joinCode;
    await teacher.click('[data-testid=class-rotate]');
    await waitFor('the new join code on the page', async () => {
      const shown = await teacher.locator('[data-testid=class-join-code]').innerText();
      return shown !== before && shown === (await api().get('/api/class')).body.joinCode;
    }, 10_000);
    expect(await teacher.locator('[data-testid=class-join-link]').innerText()).toContain(`#join=`);
  });

  it('a student joins from the join link: the token shown once, then only their world; node buttons follow the class setting', async () => {
    const code = (await api().get('/api/class')).body.joinCode;
    student = await open(`#join=${code}`);
    expect(await student.inputValue('[data-testid=join-code]')).toBe(code);
    await student.fill('[data-testid=join-name]', studentName);
    // A mistyped code: the server's sentence, and the form stays.
    await student.fill('[data-testid=join-code]', `${code}x`);
    await student.click('[data-testid=join-submit]');
    await student.locator('[data-testid=error]', { hasText: "That is not this class's join code." }).waitFor({ timeout: 10_000 });
    await student.fill('[data-testid=join-code]', code);
    await student.click('[data-testid=join-submit]');
    await student.locator('[data-testid=joined]').waitFor({ timeout: 10_000 });
    const token = await student.locator('[data-testid=joined-token]').innerText();
    const me = (await api(token).get('/api/me').expect(200)).body;
    expect(me).toMatchObject({ name: studentName, role: 'student' });
    joined = { id: me.id, token };
    made.push(me.id);
    expect(await student.locator('[data-testid=joined-klab]').innerText()).toContain(`KLAB_TOKEN=${token}`);
    // The instructor's roster hears of it without a reload.
    await teacher.locator(`[data-testid=roster-row][data-student-id="${me.id}"]`).waitFor({ timeout: 15_000 });

    await student.click('[data-testid=joined-continue]');
    await student.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
    expect(await student.locator('[data-testid=whoami]').innerText()).toContain(studentName);
    for (const only of ['roster-panel', 'class-panel', 'cluster-controls']) expect(await student.locator(`[data-testid=${only}]`).isHidden()).toBe(true);
    await student.locator('[data-testid=node-row]').first().waitFor({ timeout: 10_000 });
    expect(await student.locator('[data-testid=node-stop]').count()).toBe(0);

    await api().patch('/api/class').send({ studentsMayControlBrokers: true }).expect(200);
    await student.locator('[data-testid=node-stop]').first().waitFor({ timeout: 15_000 });
    await api().patch('/api/class').send({ studentsMayControlBrokers: false }).expect(200);
    await waitFor('the node buttons gone again', async () => (await student.locator('[data-testid=node-stop]').count()) === 0, 15_000);

    // Their own topic, by the name they gave.
    const topic = uniqueName('web-mine');
    await student.fill('[data-testid=topic-name]', topic);
    await student.fill('[data-testid=topic-partitions]', '1');
    await student.fill('[data-testid=topic-rf]', '1');
    await student.click('[data-testid=topic-create]');
    await student.locator(`[data-testid=topic-row][data-topic="${topic}"]`).waitFor({ timeout: 30_000 });
    expect(await student.locator(`[data-testid=topic-row][data-topic="${topic}"] [data-testid=topic-owner]`).innerText()).toBe('you');

    // The instructor's page counts students' consumers without a card each, until asked (other files'
    // students may have left some: the count grows by one).
    const count = async () => Number((await teacher.locator('[data-testid=consumers-students-count]').innerText()).replace(/\D/g, ''));
    const before = await count();
    const started = await api(token).post('/api/consumers').send({ topics: [topic], groupId: 'test-group' }).expect(201);
    await waitFor('the students\' consumer count', async () => (await count()) === before + 1, 15_000);
    const theirCard = teacher.locator(`[data-testid=consumer-card][data-consumer-id="${started.body.id}"]`);
    expect(await theirCard.count()).toBe(0);
    await teacher.check('[data-testid=consumers-students]');
    await theirCard.waitFor({ timeout: 10_000 });
    expect(await theirCard.innerText()).toContain(`of ${studentName} (${me.id})`);
    // The student sees the group by its own name.
    await student.locator(`[data-testid=consumer-card][data-consumer-id="${started.body.id}"]`, { hasText: 'group test-group' }).waitFor({ timeout: 15_000 });
    expect(pageErrors).toEqual([]);
  });

  it('a re-issued token signs the open page out; removal sends the student back to the join screen with the sentence', async () => {
    const row = teacher.locator(`[data-testid=roster-row][data-student-id="${joined.id}"]`);
    await row.locator('[data-testid=student-token]').click();
    const fresh = await teacher.locator(`[data-testid=token-row][data-student-id="${joined.id}"] [data-testid=token-value]`).innerText({ timeout: 10_000 });
    expect(fresh).not.toBe(joined.token);
    await api(joined.token).get('/api/me').expect(401);
    await student.locator('[data-testid=login]').waitFor({ timeout: 15_000 });

    // Signed in again with the new token (as the instructor would hand it over), then removed.
    await student.click('#token-login summary');
    await student.fill('[data-testid=login-token]', fresh);
    await student.click('[data-testid=login-submit]');
    await student.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
    // Signing out shows a student their token first: this browser forgets it.
    await student.click('[data-testid=logout]');
    await student.locator('[data-testid=login]').waitFor({ timeout: 10_000 });
    expect(dialogs[dialogs.length - 1]).toContain(fresh);
    await student.click('#token-login summary');
    await student.fill('[data-testid=login-token]', fresh);
    await student.click('[data-testid=login-submit]');
    await student.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
    await row.locator('[data-testid=student-purge]').click();
    await row.waitFor({ state: 'detached', timeout: 15_000 });
    await student.locator('[data-testid=error]', { hasText: 'You were removed from the class.' }).first().waitFor({ timeout: 15_000 });
    await student.locator('[data-testid=login]').waitFor({ timeout: 15_000 });
    expect(await student.evaluate('localStorage.getItem("klab-token")')).toBeNull();
    // Tokens travelled in headers and the socket's handshake only (a #fragment is never requested).
    expect(requested.length).toBeGreaterThan(20);
    const tokens = [sharedLab().token, joined.token, fresh];
    expect(requested.filter((u) => tokens.some((t) => u.includes(t)))).toEqual([]);
    await teacher.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-class.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});

describe('web page: the lab panel', () => {
  let browser: Browser;
  const pageErrors: string[] = [];
  let student: { id: string; name: string; token: string };
  const topic = uniqueName('web-graded');

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    student = (await api().post('/api/students').send({ name: uniqueName('Mei') }).expect(201)).body;
  });

  afterAll(async () => {
    await browser?.close();
    if (student) await api().delete(`/api/students/${student.id}?purge=true`);
  });

  async function open(token: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1200 } })).newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${sharedLab().url}/#token=${token}`);
    await page.locator('[data-testid=live-status]', { hasText: /^live$/ }).waitFor({ timeout: 15_000 });
    return page;
  }

  it("ticks the replicated-topic step live when the student creates such a topic through the API; the instructor's roster ticks too", async () => {
    const page = await open(student.token);
    const teacher = await open(sharedLab().token);

    // Keyboard: the lab picker takes arrow keys; back to Lab A.
    const picker = page.locator('[data-testid=lab-select]');
    await page.locator('[data-testid=lab-option]').nth(6).waitFor({ state: 'attached', timeout: 10_000 });
    expect(await picker.inputValue()).toBe('A');
    await picker.focus();
    await page.keyboard.press('ArrowDown');
    await waitFor('lab B shown', async () => (await picker.inputValue()) === 'B' && (await page.locator('[data-testid=lab-step]').count()) > 0, 10_000);
    await page.keyboard.press('ArrowUp');
    const step = page.locator('[data-testid=lab-step][data-checkpoint=replicated-topic]');
    await step.waitFor({ timeout: 10_000 });
    expect(await step.getAttribute('data-passed')).toBe('false');
    expect(await step.locator('[data-testid=lab-tick]').innerText()).toBe('·');
    expect(await step.locator('[data-testid=lab-cli]').innerText()).toMatch(/^klab /m);
    const row = teacher.locator(`[data-testid=roster-row][data-student-id="${student.id}"] [data-testid=student-checkpoints]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-passed')).toBe('0');

    // The page is not reloaded: the progress push ticks the step.
    await api(student.token).post('/api/topics').send({ name: topic, partitions: 3, replicationFactor: 3 }).expect(201);
    await page.locator('[data-testid=lab-step][data-checkpoint=replicated-topic][data-passed=true]').waitFor({ timeout: 30_000 });
    expect(await step.locator('[data-testid=lab-tick]').innerText()).toBe('✓');
    expect(await page.locator('[data-testid=lab-progress]').innerText()).toMatch(/^1 of \d checkpoint\(s\) passed$/);
    await page.locator('[data-testid=timeline-event][data-type="checkpoint.passed"]', { hasText: 'you passed replicated-topic' }).waitFor({ timeout: 10_000 });
    await teacher.locator(`[data-testid=roster-row][data-student-id="${student.id}"] [data-testid=student-checkpoints][data-passed="1"]`).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-lab.png') });
    expect(pageErrors).toEqual([]);
  });
});
