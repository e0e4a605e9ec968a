// `klab consume --protocol share --ack manual` as a process, against a stand-in lab server (HTTP and
// socket.io on 127.0.0.1, port 0) that plays the contract: what klab sends when a command is piped
// before its record arrives, what it prints, and that its own acknowledgements are printed once.
// The real server and cluster are in test/e2e/cli.e2e.ts.
import { ChildProcess, spawn } from 'node:child_process';
import * as http from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { Server, Socket } from 'socket.io';

const KLAB = path.resolve(__dirname, '../../clients/cli/klab.js');

interface Call {
  method: string;
  url: string;
  body: any;
}

/** The routes klab consume and klab ack use, answered as API.md says; every call is kept. */
class FakeLab {
  readonly calls: Call[] = [];
  readonly subscriptions: any[] = [];
  private io!: Server;
  private server!: http.Server;
  private sockets: Socket[] = [];
  url = '';
  /** What the acknowledge route answers per ack (default: done). */
  ackError: (ack: any) => string | undefined = () => undefined;
  /** Runs before the acknowledge route answers (to push what the server pushes meanwhile). */
  beforeAckAnswer: (body: any) => Promise<void> = async () => undefined;

  async start() {
    this.server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (d) => (raw += d));
      req.on('end', () => {
        const body = raw ? JSON.parse(raw) : undefined;
        this.calls.push({ method: req.method!, url: req.url!, body });
        const send = (status: number, b: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(b));
        };
        if (req.method === 'POST' && req.url === '/api/consumers') {
          return send(201, { id: 'c1', groupId: body.groupId, protocol: body.protocol, ack: body.ack, topics: body.topics, state: 'joining', assignment: [], seq: 1 });
        }
        if (req.method === 'POST' && req.url === '/api/consumers/c1/acknowledge') {
          return void this.beforeAckAnswer(body).then(() => {
            const results = body.acks.map((a: any) => ({ topic: a.topic, partition: a.partition, offsets: [String(a.offset)], type: a.type, ...(this.ackError(a) ? { error: this.ackError(a) } : {}) }));
            send(200, { results });
          });
        }
        if (req.method === 'POST' && req.url === '/api/consumers/c1/stop') return send(200, { id: 'c1', state: 'stopped' });
        if (req.method === 'GET' && req.url === '/api/consumers/c1') {
          return send(200, { id: 'c1', groupId: 'workers', protocol: 'share', ack: 'manual', topics: ['jobs'], state: 'running', assignment: [{ topic: 'jobs', partitions: [0] }] });
        }
        send(404, { statusCode: 404, error: 'Not Found', message: `no route ${req.method} ${req.url}` });
      });
    });
    this.io = new Server(this.server);
    this.io.of('/lab').on('connection', (socket) => {
      this.sockets.push(socket);
      socket.on('subscribe', (what: any, ack: (a: unknown) => void) => {
        this.subscriptions.push(what);
        ack({ ok: true, seq: 10, messageSeq: 0 });
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  emit(channel: string, payload: unknown) {
    for (const s of this.sockets) s.emit(channel, payload);
  }

  async stop() {
    this.io.close();
    await new Promise((r) => this.server.close(r));
  }
}

function klab(lab: FakeLab, args: string[]) {
  const child = spawn(process.execPath, [KLAB, ...args], {
    env: { ...process.env, KLAB_SERVER: lab.url, KLAB_TOKEN: 't' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const io = { child, out: '', err: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (io.out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (io.err += d));
  return io;
}

/** Waits (on real I/O of another process, so on real time) until `probe` holds, at most `ms`. */
async function until(what: string, probe: () => boolean, io: { out: string; err: string }, ms = 10_000) {
  const end = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; stdout:\n${io.out}\nstderr:\n${io.err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

/** A message of consumer c1; `seq` numbers its messages (each delivery is a new message). */
const record = (seq: number, offset: number, value: string, deliveryCount = 1) => ({
  seq, consumerId: 'c1', topic: 'jobs', partition: 0, offset: String(offset), key: null, value, headers: {}, timestamp: '2026-01-01T00:00:00.000Z', deliveryCount,
});

describe('klab consume --protocol share --ack manual (against a stand-in server)', () => {
  let lab: FakeLab;
  let run: ReturnType<typeof klab> | undefined;

  beforeEach(async () => {
    lab = new FakeLab();
    await lab.start();
  });

  afterEach(async () => {
    if (run && run.child.exitCode === null) {
      run.child.kill('SIGKILL');
      await exited(run.child);
    }
    await lab.stop();
  });

  it('sends the protocol and ack mode, follows the consumer and its group, and shows the hint', async () => {
    run = klab(lab, ['consume', 'jobs', '-G', 'workers', '--protocol', 'share', '--ack', 'manual']);
    await until('the hint', () => run!.err.includes('% Manual acknowledgement: type "r 5" to release offset 5'), run);
    expect(lab.calls[0]).toEqual({ method: 'POST', url: '/api/consumers', body: { topics: ['jobs'], groupId: 'workers', fromBeginning: false, protocol: 'share', ack: 'manual' } });
    expect(lab.subscriptions).toEqual([{ consumer: 'c1' }, { group: 'workers' }]);
    expect(run.err).toContain('% Consumer c1 started: group workers, topic jobs, share/manual protocol');
  });

  it('a piped command waits for its record, then acknowledges it; the answer is printed once, not again from the event', async () => {
    run = klab(lab, ['consume', 'jobs', '-G', 'workers', '--protocol', 'share', '--ack', 'manual']);
    await until('the hint', () => run!.err.includes('Manual acknowledgement'), run);
    // Typed ahead by a script: offset 0 is not delivered yet.
    run.child.stdin!.write('r 0\n');
    await until('the wait notice', () => run!.err.includes('% waiting up to 30 s for offset 0 to be delivered'), run);
    expect(lab.calls.filter((c) => c.url.endsWith('/acknowledge'))).toEqual([]);

    lab.emit('message', record(1, 0, 'job1'));
    await until('the release result', () => run!.err.includes('% jobs [0] @0 released\n'), run);
    expect(run.out).toBe('0:0\tjob1\n');
    expect(lab.calls.filter((c) => c.url.endsWith('/acknowledge')).map((c) => c.body)).toEqual([{ acks: [{ topic: 'jobs', partition: 0, offset: '0', type: 'release' }] }]);

    // The server's event for that release: already printed, so not again. One made elsewhere is.
    lab.emit('event', { seq: 11, type: 'share.acknowledged', consumerId: 'c1', groupId: 'workers', topic: 'jobs', partition: 0, offsets: ['0'], ackType: 'release' });
    lab.emit('event', { seq: 12, type: 'share.redelivered', consumerId: 'c1', groupId: 'workers', topic: 'jobs', partition: 0, offset: '0', deliveryCount: 2, why: 'released' });
    lab.emit('message', record(2, 0, 'job1', 2));
    lab.emit('message', record(3, 1, 'job2'));
    await until('the redelivery', () => run!.out.includes('0:0\tjob1\t(delivery 2)\n') && run!.out.includes('0:1\tjob2\n'), run);
    lab.emit('event', { seq: 13, type: 'share.acknowledged', consumerId: 'c1', groupId: 'workers', topic: 'jobs', partition: 0, offsets: ['1'], ackType: 'accept' });
    await until('the acknowledgement made elsewhere', () => run!.err.includes('% jobs [0] @1 accepted (acknowledged elsewhere)'), run);
    expect(run.err.match(/released/g)).toHaveLength(2); // the result line and the redelivery's why, no event echo
    expect(run.err).toContain('% jobs [0] @0 redelivered (delivery 2): released\n');

    // Offset 1 is no longer held (accepted elsewhere): "all" takes only offset 0, now at delivery 2.
    run.child.stdin!.write('l\nx all\n');
    await until('the rejection', () => run!.err.includes('% jobs [0] @0 rejected'), run);
    expect(run.err).toMatch(/% held: jobs \[0\] @0 "job1" \(\d+ s ago, delivery 2\)\n/);
    expect(lab.calls.filter((c) => c.url.endsWith('/acknowledge')).pop()!.body).toEqual({ acks: [{ topic: 'jobs', partition: 0, offset: '0', type: 'reject' }] });

    lab.emit('event', { seq: 14, type: 'share.archived', groupId: 'workers', topic: 'jobs', partition: 0, offset: '0', why: 'rejected' });
    await until('the archived line', () => run!.err.includes('% jobs [0] @0 archived: rejected\n'), run);

    run.child.kill('SIGINT');
    expect(await exited(run.child)).toBe(0);
    expect(lab.calls.pop()).toMatchObject({ method: 'POST', url: '/api/consumers/c1/stop' });
    expect(run.err).toContain('% Consumer c1 stopped and left its group (3 message(s) received)');
  });

  it('prints a refusal of one partition as an ERROR line and keeps the record held', async () => {
    lab.ackError = () => 'the lock of jobs [0] @0 ran out: the record went back to the group';
    run = klab(lab, ['consume', 'jobs', '-G', 'workers', '--protocol', 'share', '--ack', 'manual']);
    await until('the hint', () => run!.err.includes('Manual acknowledgement'), run);
    lab.emit('message', record(1, 0, 'job1'));
    await until('the record', () => run!.out.includes('0:0\tjob1\n'), run);
    run.child.stdin!.write('a 0\nfrob\nl\n');
    await until('the held list', () => run!.err.includes('% held: jobs [0] @0'), run);
    expect(run.err).toContain('% ERROR: accept of jobs [0] @0 refused: the lock of jobs [0] @0 ran out: the record went back to the group\n');
    expect(run.err).toMatch(/% ERROR: unknown command "frob": a\|accept/);
  });

  it('keeps holding a released record that came back before the answer (and its own event after it)', async () => {
    lab.beforeAckAnswer = async (body) => {
      if (body.acks[0].type !== 'release') return;
      lab.emit('message', record(2, 0, 'job1', 2));
      lab.emit('event', { seq: 11, type: 'share.acknowledged', consumerId: 'c1', groupId: 'workers', topic: 'jobs', partition: 0, offsets: ['0'], ackType: 'release' });
      await new Promise((r) => setTimeout(r, 100));
    };
    run = klab(lab, ['consume', 'jobs', '-G', 'workers', '--protocol', 'share', '--ack', 'manual']);
    await until('the hint', () => run!.err.includes('Manual acknowledgement'), run);
    lab.emit('message', record(1, 0, 'job1'));
    await until('the record', () => run!.out.includes('0:0\tjob1\n'), run);
    run.child.stdin!.write('r 0\n');
    await until('the release result', () => run!.err.includes('% jobs [0] @0 released\n'), run);
    run.child.stdin!.write('l\na 0\n');
    await until('the accept result', () => run!.err.includes('% jobs [0] @0 accepted\n'), run);
    expect(run.err).toMatch(/% held: jobs \[0\] @0 "job1" \(\d+ s ago, delivery 2\)\n/);
    expect(run.err).not.toContain('acknowledged elsewhere');
    expect(lab.calls.filter((c) => c.url.endsWith('/acknowledge')).map((c) => c.body.acks[0].type)).toEqual(['release', 'accept']);
  });
});

describe('klab ack (against a stand-in server)', () => {
  let lab: FakeLab;

  beforeEach(async () => {
    lab = new FakeLab();
    await lab.start();
  });
  afterEach(() => lab.stop());

  async function ack(args: string[]) {
    const io = klab(lab, ['ack', ...args]);
    io.child.stdin!.end();
    const code = await exited(io.child);
    return { code, out: io.out, err: io.err };
  }

  it("borrows the consumer's only topic and partition for short specs and prints one line per result", async () => {
    const run = await ack(['c1', 'r', '5', '0:6', 'jobs:0:8-9']);
    expect(run).toEqual({ code: 0, out: 'jobs [0] @5 released\njobs [0] @6 released\njobs [0] @8 released\njobs [0] @9 released\n', err: '' });
    expect(lab.calls.map((c) => `${c.method} ${c.url}`)).toEqual(['GET /api/consumers/c1', 'POST /api/consumers/c1/acknowledge']);
    expect(lab.calls[1].body.acks.map((a: any) => `${a.topic}:${a.partition}:${a.offset}:${a.type}`)).toEqual(['jobs:0:5:release', 'jobs:0:6:release', 'jobs:0:8:release', 'jobs:0:9:release']);
  });

  it('asks nothing of the consumer when every spec is complete, and exits 1 when a partition refused', async () => {
    lab.ackError = (a) => (a.offset === '2' ? 'not held' : undefined);
    const run = await ack(['c1', 'accept', 'jobs:0:1', 'jobs:0:2']);
    expect(run).toEqual({ code: 1, out: 'jobs [0] @1 accepted\n', err: '% ERROR: accept of jobs [0] @2 refused: not held\n' });
    expect(lab.calls.map((c) => c.url)).toEqual(['/api/consumers/c1/acknowledge']);
  });

  it('refuses "all" and a word that is no acknowledgement before calling the server', async () => {
    expect((await ack(['c1', 'reject', 'all'])).err).toMatch(/^% ERROR: "all" works inside klab consume --ack manual/);
    expect((await ack(['c1', 'keep', '5'])).err).toBe('% ERROR: "keep" is not an acknowledgement: use accept (a), release (r) or reject (x)\n');
    expect(lab.calls).toEqual([]);
  });
});

