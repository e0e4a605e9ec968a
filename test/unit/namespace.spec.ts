import {
  fromClusterName,
  outsideOwnNamespace,
  ownerOfClusterName,
  reservedForStudents,
  resolveTopic,
  studentPrefix,
  toClusterName,
  topicNameMax,
} from '../../src/class/namespace';
import type { Principal } from '../../src/class/principal';
import { topicNameProblem } from '../../src/topics/topic-name';

const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };
const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };
const bob: Principal = { id: 'xyz789', name: 'Bob', role: 'student' };

describe('student namespaces', () => {
  it('puts a student\'s names under s-<id>. and leaves the instructor\'s as the cluster\'s', () => {
    expect(studentPrefix('abc123')).toBe('s-abc123.');
    expect(toClusterName(ada, 'orders')).toBe('s-abc123.orders');
    expect(toClusterName(bob, 'orders')).toBe('s-xyz789.orders');
    expect(toClusterName(instructor, 'orders')).toBe('orders');
  });

  it('gives each student back their own names, shared names as they are, and nothing of another student\'s', () => {
    expect(fromClusterName(ada, 's-abc123.orders')).toBe('orders');
    expect(fromClusterName(ada, 'orders')).toBe('orders');
    expect(fromClusterName(ada, 's-xyz789.orders')).toBeNull();
    expect(fromClusterName(instructor, 's-xyz789.orders')).toBe('s-xyz789.orders');
    // A name that only starts like a student's (no dot, wrong length) is the instructor's.
    expect(fromClusterName(ada, 's-abc12.orders')).toBe('s-abc12.orders');
  });

  it('says whose a cluster name is', () => {
    expect(ownerOfClusterName('s-abc123.orders')).toBe('abc123');
    expect(ownerOfClusterName('s-abc123.s-xyz789.orders')).toBe('abc123');
    expect(ownerOfClusterName('orders')).toBe('instructor');
    expect(ownerOfClusterName('__consumer_offsets')).toBe('instructor');
    expect(ownerOfClusterName('s-abc123_orders')).toBe('instructor');
  });

  it('keeps the student shape (with "." or "_", which Kafka takes alike) from everyone\'s new names', () => {
    expect(reservedForStudents('s-abc123.orders', 'topic')).toMatch(/kept for the students' own topics/);
    expect(reservedForStudents('s-abc123_orders', 'group')).toMatch(/kept for the students' own groups/);
    expect(reservedForStudents('s-orders', 'topic')).toBeNull();
    expect(reservedForStudents('orders', 'topic')).toBeNull();
    expect(outsideOwnNamespace(ada, 's-xyz789.orders')).toBe(true);
    expect(outsideOwnNamespace(ada, 's-abc123.orders')).toBe(true);
    expect(outsideOwnNamespace(ada, 'orders')).toBe(false);
    expect(outsideOwnNamespace(instructor, 's-xyz789.orders')).toBe(false);
  });

  it('leaves a student 240 characters of Kafka\'s 249 and says why', () => {
    expect(topicNameMax(instructor)).toBe(249);
    expect(topicNameMax(ada)).toBe(240);
    expect(topicNameProblem('x'.repeat(240), topicNameMax(ada))).toBeNull();
    expect(topicNameProblem('x'.repeat(241), topicNameMax(ada))).toBe(
      'A topic name can have at most 240 characters (Kafka allows 249, and the lab puts your 9-character prefix before your names on the cluster); this one has 241.',
    );
    expect(topicNameProblem('x'.repeat(250))).toBe('A topic name can have at most 249 characters; this one has 250.');
  });

  describe('resolveTopic: a student\'s own topic, else the shared one, else their own', () => {
    const on = (...names: string[]) => (n: string) => names.includes(n);

    it('takes the student\'s own topic first, even when a shared one has the name', () => {
      expect(resolveTopic(ada, 'orders', on('s-abc123.orders', 'orders'))).toBe('s-abc123.orders');
    });

    it('takes the shared topic when the student has none of that name', () => {
      expect(resolveTopic(ada, 'orders', on('orders', 's-xyz789.orders'))).toBe('orders');
      expect(resolveTopic(ada, '__consumer_offsets', on('__consumer_offsets'))).toBe('__consumer_offsets');
    });

    it('names the student\'s own (to be created, or missing) when neither exists', () => {
      expect(resolveTopic(ada, 'orders', on('s-xyz789.orders'))).toBe('s-abc123.orders');
    });

    it('never reaches another student\'s topic, even by its cluster name', () => {
      expect(resolveTopic(ada, 's-xyz789.orders', on('s-xyz789.orders'))).toBe('s-abc123.s-xyz789.orders');
    });

    it('gives the instructor the cluster\'s name as it is', () => {
      expect(resolveTopic(instructor, 's-xyz789.orders', on())).toBe('s-xyz789.orders');
    });
  });
});
