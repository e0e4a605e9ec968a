import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LAB_CONFIG, LabConfig } from '../config/lab-config';

/** One schema step. `id` is recorded once applied; keep the SQL idempotent (IF NOT EXISTS) anyway. */
export interface Migration {
  id: string;
  sql: string;
}

/** The timeline's tables. Other concerns (roster, tokens) add theirs with `LabDatabase.migrate`. */
export const TIMELINE_MIGRATIONS: readonly Migration[] = [
  {
    id: '001-events',
    sql: `
      CREATE TABLE IF NOT EXISTS events (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        time        TEXT    NOT NULL,
        type        TEXT    NOT NULL,
        actor       TEXT    NOT NULL,
        owner       TEXT,
        topic       TEXT,
        group_id    TEXT,
        consumer_id TEXT,
        body        TEXT    NOT NULL
      );
      CREATE INDEX IF NOT EXISTS events_type_seq ON events (type, seq);
    `,
  },
  {
    // A `{ consumer }` subscription replays the consumer's story by this, not by scanning the timeline.
    id: '002-events-consumer',
    sql: `CREATE INDEX IF NOT EXISTS events_consumer_seq ON events (consumer_id, seq);`,
  },
];

export const DATABASE_FILE = 'lab.sqlite';

/**
 * The service's one embedded database, `<dataDir>/lab.sqlite`, in WAL mode so readers never wait for
 * the writer. Opened at construction (so every provider that injects it can prepare statements in its
 * own constructor) and closed when the application shuts down, after every module's destroy hooks,
 * so a last "cluster.stopped" still lands.
 */
@Injectable()
export class LabDatabase implements OnApplicationShutdown {
  private readonly log = new Logger('Database');
  readonly file: string;
  readonly db: Database.Database;

  constructor(@Inject(LAB_CONFIG) config: LabConfig) {
    fs.mkdirSync(config.dataDir, { recursive: true });
    this.file = path.join(config.dataDir, DATABASE_FILE);
    try {
      this.db = new Database(this.file);
    } catch (e) {
      throw new Error(`The database ${this.file} cannot be opened: ${(e as Error).message}.`);
    }
    this.db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode survives a crash of this process; only a power cut may lose the last commits.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(`CREATE TABLE IF NOT EXISTS migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
    for (const m of TIMELINE_MIGRATIONS) this.migrate(m);
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  /** Applies a schema step once (recorded in `migrations`); later issues call this for their tables. */
  migrate(m: Migration): void {
    const done = this.db.prepare('SELECT 1 FROM migrations WHERE id = ?').get(m.id);
    if (done) return;
    this.db.transaction(() => {
      this.db.exec(m.sql);
      this.db.prepare('INSERT INTO migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date().toISOString());
    })();
    this.log.debug(`Applied schema step ${m.id} to ${this.file}`);
  }

  onApplicationShutdown(): void {
    this.close();
  }

  close(): void {
    if (!this.db.open) return;
    this.db.close();
  }
}
