/**
 * The class's settings as GET/PATCH /api/class show them. Quotas bind students only; the instructor
 * has none. Counts over a quota answer 409, rates 429 (quotas.ts says which use hit which limit).
 */
export interface Quotas {
  /** Topics a student may have at once. */
  topics: number;
  /** Partitions one topic of a student may have. */
  partitionsPerTopic: number;
  /** Partitions over all of a student's topics. */
  partitions: number;
  /** A student's consumers that run at once (joining or running). */
  consumers: number;
  /** Messages a student may produce per second (over every topic). */
  producePerSecond: number;
  /** Messages in one produce request. */
  messagesPerRequest: number;
  /** socket.io connections a student may hold at once. */
  sockets: number;
}

export interface ClassSettings {
  joinCode: string;
  joinOpen: boolean;
  studentsMayControlBrokers: boolean;
  quotas: Quotas;
}

/**
 * Room for every lab in LABS.md (Lab E's several 6-partition topics with two steady producers and a
 * group) with slack, small enough that 40 students cannot swamp a 3-broker laptop cluster.
 */
export const DEFAULT_QUOTAS: Quotas = {
  topics: 20,
  partitionsPerTopic: 12,
  partitions: 100,
  consumers: 20,
  producePerSecond: 500,
  messagesPerRequest: 1000,
  sockets: 10,
};

/** A student on the roster as the instructor sees it (GET /api/students). */
export interface StudentView {
  id: string;
  name: string;
  role: 'student';
  joinedAt: string;
  lastSeen: string | null;
  /** Consumers of theirs that run now. */
  consumers: number;
  /** Topics of theirs on the cluster now. */
  topics: number;
  /** The ids of the checkpoints passed, in the order of src/grading/checkpoints.ts. */
  checkpoints: string[];
}

/** A student with the token that was just made (join, add, re-issue): the only time it is shown. */
export interface StudentWithToken {
  id: string;
  name: string;
  role: 'student';
  token: string;
}
