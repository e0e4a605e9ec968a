import { Injectable } from '@nestjs/common';
import type { Statement } from 'better-sqlite3';
import { LabDatabase, Migration } from '../timeline/lab-database';

/** The roster's tables in the lab's database. A removed student keeps their row (grades and the timeline name them). */
export const ROSTER_MIGRATIONS: readonly Migration[] = [
  {
    id: '101-students',
    sql: `
      CREATE TABLE IF NOT EXISTS students (
        id          TEXT PRIMARY KEY,
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL,
        token_hash  TEXT NOT NULL UNIQUE,
        joined_at   TEXT NOT NULL,
        last_seen   TEXT,
        removed_at  TEXT
      );
      CREATE UNIQUE INDEX IF NOT EXISTS students_name_in_class ON students (name_key) WHERE removed_at IS NULL;
    `,
  },
  {
    id: '102-class-settings',
    sql: `CREATE TABLE IF NOT EXISTS class_settings (id INTEGER PRIMARY KEY CHECK (id = 1), body TEXT NOT NULL);`,
  },
];

export interface StudentRow {
  id: string;
  name: string;
  nameKey: string;
  tokenHash: string;
  joinedAt: string;
  lastSeen: string | null;
  removedAt: string | null;
}

interface Row {
  id: string;
  name: string;
  name_key: string;
  token_hash: string;
  joined_at: string;
  last_seen: string | null;
  removed_at: string | null;
}

/** Reads and writes the roster rows; knows SQL, not rules (students.service.ts holds those). */
@Injectable()
export class RosterStore {
  private readonly insertRow: Statement<unknown[]>;
  private readonly selectAll: Statement<[]>;
  private readonly selectOne: Statement<[string]>;
  private readonly selectByKey: Statement<[string]>;
  private readonly selectByToken: Statement<[string]>;
  private readonly updateToken: Statement<[string, string]>;
  private readonly updateSeen: Statement<[string, string]>;
  private readonly updateRemoved: Statement<[string, string]>;
  private readonly selectSettings: Statement<[]>;
  private readonly upsertSettings: Statement<[string]>;

  constructor(private readonly database: LabDatabase) {
    for (const m of ROSTER_MIGRATIONS) database.migrate(m);
    const db = database.db;
    this.insertRow = db.prepare(
      'INSERT INTO students (id, name, name_key, token_hash, joined_at, last_seen, removed_at) VALUES (?, ?, ?, ?, ?, NULL, NULL)',
    );
    this.selectAll = db.prepare('SELECT * FROM students ORDER BY joined_at, rowid');
    this.selectOne = db.prepare('SELECT * FROM students WHERE id = ?');
    this.selectByKey = db.prepare('SELECT * FROM students WHERE name_key = ? AND removed_at IS NULL');
    this.selectByToken = db.prepare('SELECT * FROM students WHERE token_hash = ?');
    this.updateToken = db.prepare('UPDATE students SET token_hash = ? WHERE id = ?');
    this.updateSeen = db.prepare('UPDATE students SET last_seen = ? WHERE id = ?');
    this.updateRemoved = db.prepare('UPDATE students SET removed_at = ? WHERE id = ?');
    this.selectSettings = db.prepare('SELECT body FROM class_settings WHERE id = 1');
    this.upsertSettings = db.prepare(
      'INSERT INTO class_settings (id, body) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body',
    );
  }

  /** Every row, removed ones too, in the order they were added (a list keeps its order). */
  all(): StudentRow[] {
    return (this.selectAll.all() as Row[]).map(fromRow);
  }

  byId(id: string): StudentRow | null {
    const r = this.selectOne.get(id) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** The student in the class (not removed) with this name key. */
  byNameKey(key: string): StudentRow | null {
    const r = this.selectByKey.get(key) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  byTokenHash(tokenHash: string): StudentRow | null {
    const r = this.selectByToken.get(tokenHash) as Row | undefined;
    return r ? fromRow(r) : null;
  }

  /** Adds them all in one transaction: `check` runs inside it and may throw to add none. */
  insertAll(rows: StudentRow[], check: () => void = () => undefined): void {
    this.database.db.transaction(() => {
      check();
      for (const r of rows) this.insertRow.run(r.id, r.name, r.nameKey, r.tokenHash, r.joinedAt);
    })();
  }

  setTokenHash(id: string, tokenHash: string): void {
    this.updateToken.run(tokenHash, id);
  }

  setLastSeen(id: string, at: string): void {
    // A request still being answered while the server shuts down must not fail on the closed database.
    if (this.database.isOpen) this.updateSeen.run(at, id);
  }

  markRemoved(id: string, at: string): void {
    this.updateRemoved.run(at, id);
  }

  /** The stored class settings (JSON), or null before the first change. */
  settings(): unknown {
    const r = this.selectSettings.get() as { body: string } | undefined;
    return r ? (JSON.parse(r.body) as unknown) : null;
  }

  saveSettings(value: unknown): void {
    this.upsertSettings.run(JSON.stringify(value));
  }
}

function fromRow(r: Row): StudentRow {
  return {
    id: r.id, name: r.name, nameKey: r.name_key, tokenHash: r.token_hash,
    joinedAt: r.joined_at, lastSeen: r.last_seen, removedAt: r.removed_at,
  };
}
