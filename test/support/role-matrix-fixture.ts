import { studentPrefix } from '../../src/class/namespace';
import { addStudent, joinCode as classJoinCode } from './class';
import { api, uniqueName } from './lab';
import type { Column, Target } from './role-matrix';

/**
 * The things the role × route matrix calls on: two students, each with a topic, a running consumer
 * in a group, and for the first also a consumer (and group) of the shared topic and a stopped
 * consumer; one topic of the instructor's, which every student shares. Everything is made through the
 * API with the owner's token, so the names are the owners' own.
 */
export interface StudentThings {
  id: string;
  token: string;
  name: string;
  topic: string;
  group: string;
  consumer: string;
}

export interface MatrixFixture {
  instructorToken: string;
  joinCode: string;
  sharedTopic: string;
  /** sharedConsumer and sharedGroup are '' when the student could not read the shared topic (sharedGap says why). */
  a: StudentThings & { sharedGroup: string; sharedConsumer: string; sharedGap?: string; stoppedConsumer: string };
  /** spareTopic: a name the other student has, for the first to create one of their own by it. */
  b: StudentThings & { spareTopic: string };
  /** A removed student's token, and a student's token from before a re-issue: both dead. */
  revokedTokens: string[];
}

/** A topic or group name of a student's as the cluster (and the instructor) knows it. */
export const clusterName = (s: { id: string }, name: string) => studentPrefix(s.id) + name;

async function expectStatus<T = any>(what: string, res: Promise<{ status: number; body: any; text: string }>, status: number): Promise<T> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: expected ${status}, got ${r.status} ${r.text.slice(0, 300)}`);
  return r.body as T;
}

export async function topicOf(token: string | null, prefix = 'mx-topic'): Promise<string> {
  const name = uniqueName(prefix);
  await expectStatus(`POST /api/topics ${name}`, api(token).post('/api/topics').send({ name, partitions: 1, replicationFactor: 1 }), 201);
  return name;
}

export async function consumerOf(token: string, topic: string, groupId: string): Promise<string> {
  const body = { topic, groupId, name: 'matrix' };
  return (await expectStatus<{ id: string }>(`POST /api/consumers ${JSON.stringify(body)}`, api(token).post('/api/consumers').send(body), 201)).id;
}

export async function buildFixture(instructorToken: string): Promise<MatrixFixture> {
  const [sa, sb, joinCode, revokedTokens] = await Promise.all([addStudent('matrix-a'), addStudent('matrix-b'), classJoinCode(), deadTokens()]);
  const [sharedTopic, aTopic, bTopic, spareTopic] = await Promise.all([
    topicOf(instructorToken, 'mx-shared'), topicOf(sa.token, 'mx-a'), topicOf(sb.token, 'mx-b'), topicOf(sb.token, 'mx-b-spare'),
  ]);
  const [aGroup, sharedGroup, stoppedGroup, bGroup] = ['mx-group-a', 'mx-group-shared', 'mx-group-stopped', 'mx-group-b'].map((g) => uniqueName(g));
  const [aConsumer, shared, stoppedConsumer, bConsumer] = await Promise.all([
    consumerOf(sa.token, aTopic, aGroup),
    // Reading the shared topic is itself a cell of the matrix: when it fails, the cells that need this consumer say why.
    consumerOf(sa.token, sharedTopic, sharedGroup).then((id) => ({ id }), (e: Error) => ({ gap: e.message })),
    consumerOf(sa.token, aTopic, stoppedGroup),
    consumerOf(sb.token, bTopic, bGroup),
  ]);
  await expectStatus('stopping the stopped consumer', api(sa.token).post(`/api/consumers/${stoppedConsumer}/stop`), 200);
  const sharedThings = 'id' in shared ? { sharedConsumer: shared.id, sharedGroup } : { sharedConsumer: '', sharedGroup: '', sharedGap: shared.gap };
  return {
    instructorToken,
    joinCode,
    sharedTopic,
    a: { ...sa, topic: aTopic, group: aGroup, consumer: aConsumer, ...sharedThings, stoppedConsumer },
    b: { ...sb, topic: bTopic, group: bGroup, consumer: bConsumer, spareTopic },
    revokedTokens,
  };
}

async function deadTokens(): Promise<string[]> {
  const [removed, reissued] = await Promise.all([addStudent('matrix-removed'), addStudent('matrix-reissued')]);
  await expectStatus('removing a student', api().delete(`/api/students/${removed.id}`), 204);
  await expectStatus('re-issuing a token', api().post(`/api/students/${reissued.id}/token`), 201);
  return [removed.token, reissued.token];
}

/** Who calls on what, per column (see COLUMNS); "other" twice: the other student's names as they know them, and as the cluster does. */
export function targetsOf(fx: MatrixFixture, column: Column): Target[] {
  const { a, b } = fx;
  // The lab in lower case: its id is case-insensitive.
  const own: Target = { token: a.token, topic: a.topic, consumer: a.consumer, group: a.group, student: a.id, node: 0, lab: 'c' };
  switch (column) {
    case 'anon':
      return [{ ...own, token: null }];
    case 'unknown':
      return [{ ...own, token: `not-a-token-${uniqueName('matrix')}` }];
    case 'revoked':
      return fx.revokedTokens.map((token) => ({ ...own, token }));
    case 'own':
    case 'brokersAllowed':
      return [own];
    case 'other':
      return [
        { ...own, topic: b.topic, consumer: b.consumer, group: b.group, student: b.id },
        { ...own, topic: clusterName(b, b.topic), consumer: b.consumer, group: clusterName(b, b.group), student: b.id },
      ];
    case 'shared':
      return [{ ...own, topic: fx.sharedTopic, consumer: a.sharedConsumer, group: a.sharedGroup, ...(a.sharedGap ? { gaps: { consumer: a.sharedGap, group: a.sharedGap } } : {}) }];
    case 'instructor':
      return [{ ...own, token: fx.instructorToken, topic: clusterName(a, a.topic), group: clusterName(a, a.group) }];
  }
}

/** What the server has now, to remove afterwards whatever the matrix made (the instructor sees everything). */
export async function inventory(): Promise<{ topics: Set<string>; consumers: Set<string>; students: Set<string> }> {
  const list = async (p: string, key: string) => {
    const r = await api().get(p);
    return new Set<string>(r.status === 200 ? (r.body as Array<Record<string, string>>).map((x) => x[key]) : []);
  };
  const [topics, consumers, students] = await Promise.all([list('/api/topics', 'name'), list('/api/consumers', 'id'), list('/api/students', 'id')]);
  return { topics, consumers, students };
}

/** Removes what is on the server now but was not in `before`: consumers, then students (with their topics), then topics. */
export async function removeAllBut(before: Awaited<ReturnType<typeof inventory>>): Promise<void> {
  const now = await inventory();
  for (const id of now.consumers) if (!before.consumers.has(id)) await api().delete(`/api/consumers/${encodeURIComponent(id)}`);
  for (const id of now.students) if (!before.students.has(id)) await api().delete(`/api/students/${encodeURIComponent(id)}?purge=true`);
  const left = await inventory();
  for (const t of left.topics) if (!before.topics.has(t)) await api().delete(`/api/topics/${encodeURIComponent(t)}`);
}
