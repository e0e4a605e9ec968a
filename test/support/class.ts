import { api, sharedLab, uniqueName } from './lab';

/** A student as the e2e tests hold one: their id, their display name and the token that signs them in. */
export interface TestStudent {
  id: string;
  name: string;
  token: string;
}

/**
 * Adds a student through the instructor's POST /api/students. Every e2e file shares one server and names
 * are unique in the class, so `name` is a prefix: the student's name is made unique from it.
 */
export async function addStudent(name = 'student', url: string = sharedLab().url, instructorToken: string = sharedLab().token): Promise<TestStudent> {
  const res = await api(instructorToken, url).post('/api/students').send({ name: uniqueName(name) });
  if (res.status !== 201) throw new Error(`POST /api/students answered ${res.status}: ${JSON.stringify(res.body)}`);
  const { id, name: made, token } = res.body as TestStudent;
  return { id, name: made, token };
}

/** The class's join code, as the instructor reads it. */
export async function joinCode(url: string = sharedLab().url, instructorToken: string = sharedLab().token): Promise<string> {
  const res = await api(instructorToken, url).get('/api/class');
  if (res.status !== 200) throw new Error(`GET /api/class answered ${res.status}: ${JSON.stringify(res.body)}`);
  return (res.body as { joinCode: string }).joinCode;
}

/** Joins the class as a student would (POST /api/join with the code); `name` is made unique as in addStudent. */
export async function joinClass(name = 'joiner', code?: string, url: string = sharedLab().url): Promise<TestStudent> {
  const res = await api(null, url).post('/api/join').send({ code: code ?? (await joinCode(url)), name: uniqueName(name) });
  if (res.status !== 201) throw new Error(`POST /api/join answered ${res.status}: ${JSON.stringify(res.body)}`);
  const { id, name: made, token } = res.body as TestStudent;
  return { id, name: made, token };
}
