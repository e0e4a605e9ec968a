import type { Principal } from '../../src/class/principal';
import { canSee, canSeeGroup } from '../../src/class/visibility';

describe('canSee', () => {
  const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };
  const alice: Principal = { id: 's-alice', name: 'Alice', role: 'student' };
  const bob: Principal = { id: 's-bob', name: 'Bob', role: 'student' };

  it('lets the instructor see everything, owned by anyone or nobody', () => {
    expect(canSee(instructor, {})).toBe(true);
    expect(canSee(instructor, undefined)).toBe(true);
    expect(canSee(instructor, { owner: 's-alice' })).toBe(true);
    expect(canSee(instructor, { owner: 's-bob' })).toBe(true);
  });

  it('lets a student see what nobody owns: cluster, nodes, shared topics', () => {
    expect(canSee(alice, {})).toBe(true);
    expect(canSee(alice, undefined)).toBe(true);
    expect(canSee(alice, { owner: undefined })).toBe(true);
  });

  it('lets a student see their own things and not another student\'s', () => {
    expect(canSee(alice, { owner: 's-alice' })).toBe(true);
    expect(canSee(alice, { owner: 's-bob' })).toBe(false);
    expect(canSee(bob, { owner: 's-alice' })).toBe(false);
    expect(canSee(bob, { owner: 's-bob' })).toBe(true);
  });

  it('does not treat the instructor\'s id as a student\'s', () => {
    expect(canSee(alice, { owner: 'instructor' })).toBe(false);
    // A student whose id happened to be "instructor" is still a student.
    expect(canSee({ id: 'instructor', role: 'student' }, { owner: 's-bob' })).toBe(false);
  });
});

describe('canSeeGroup', () => {
  const instructor: Principal = { id: 'instructor', name: 'Instructor', role: 'instructor' };
  const ada: Principal = { id: 'abc123', name: 'Ada', role: 'student' };

  it('lets a student see the groups of their namespace only: never another student\'s, nor the instructor\'s', () => {
    expect(canSeeGroup(ada, 's-abc123.test-group')).toBe(true);
    expect(canSeeGroup(ada, 's-xyz789.test-group')).toBe(false);
    expect(canSeeGroup(ada, 'test-group')).toBe(false);
  });

  it('lets the instructor see every group', () => {
    expect(canSeeGroup(instructor, 's-xyz789.test-group')).toBe(true);
    expect(canSeeGroup(instructor, 'test-group')).toBe(true);
  });
});
