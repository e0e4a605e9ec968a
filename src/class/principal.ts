export type Role = 'instructor' | 'student';

/** Who is calling. The instructor's id is "instructor"; students get short ids. */
export interface Principal {
  id: string;
  name: string;
  role: Role;
}

export const INSTRUCTOR_ID = 'instructor';
