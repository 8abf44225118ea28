/**
 * The journal on disk: SQLite through better-sqlite3. One file, written in WAL mode: a writer killed
 * at any point (kill -9, a crash, power loss) leaves the database as of its last committed
 * transaction, never half a record, and readers (the `blocks` command, /blocks) never block the
 * writer. synchronous=NORMAL: in WAL mode a commit is then on disk at the next checkpoint rather than
 * at once, so a power cut may lose the last second of blocks but never corrupts the file, and a
 * process crash loses nothing (the WAL is in the kernel's page cache). A block every ten minutes makes
 * the difference in cost irrelevant; what matters is that the metrics process never waits on fsync
 * while a burst of blocks (initial sync) arrives.
 */
import Database from 'better-sqlite3';
import { JOURNAL_FIELD_NAMES } from '../../probes/journal-fields.js';
import { sqliteBinding } from '../runtime.js';
import type { AlertAttempt, BlockRecord } from './record.js';

/** What a row's JSON holds: the record's fields in their order, without the alerts (kept in their own table). */
const STORED_FIELDS: string[] = [...JOURNAL_FIELD_NAMES];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS blocks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL UNIQUE,
  height INTEGER,
  first_seen_ms INTEGER NOT NULL,
  slow TEXT,
  record TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS blocks_height ON blocks (height);
CREATE INDEX IF NOT EXISTS blocks_first_seen ON blocks (first_seen_ms);
CREATE TABLE IF NOT EXISTS alerts (
  hash TEXT NOT NULL REFERENCES blocks (hash) ON DELETE CASCADE,
  at_ms INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  status INTEGER,
  error TEXT
);
CREATE INDEX IF NOT EXISTS alerts_hash ON alerts (hash);
`;

export interface Query {
  limit: number;
  /** Blocks at this height or above. */
  sinceHeight?: number;
  /** Blocks first seen at this Unix time (ms) or later. */
  sinceMs?: number;
  slowOnly?: boolean;
}

type Row = { hash: string; record: string };
type Writes = Record<'update' | 'insert' | 'trim', Database.Statement>;

export class JournalStore {
  private readonly alertsOf: Database.Statement;
  private readonly byHash: Database.Statement;

  private constructor(private readonly db: Database.Database) {
    // Prepared once: preparing costs more than running these on a journal of 10,000 blocks.
    this.alertsOf = db.prepare(
      'SELECT at_ms, attempt, status, error FROM alerts WHERE hash = ? ORDER BY at_ms, attempt',
    );
    this.byHash = db.prepare('SELECT hash, record FROM blocks WHERE hash = ?');
  }

  /** Opens (creating it when writable) the journal; throws with the reason when it cannot. */
  static open(path: string, options: { readonly?: boolean } = {}): JournalStore {
    const binding = sqliteBinding();
    const db = new Database(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      // The typings know only the path form; the package also takes the loaded addon.
      ...(binding ? { nativeBinding: binding as unknown as string } : {}),
    });
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
    }
    return new JournalStore(db);
  }

  private writes?: Writes;

  /** Writes records (one transaction) and keeps the newest `keep`. */
  put(records: readonly BlockRecord[], keep: number): void {
    this.writes ??= this.prepareWrites();
    const { update, insert, trim } = this.writes;
    this.db.transaction(() => {
      for (const r of records) {
        // The field list leaves the alerts out without a copy of the record (a copy per record was
        // a fifth of what the journal allocated).
        const row = [r.height, Date.parse(r.first_seen), r.slow, JSON.stringify(r, STORED_FIELDS), r.hash];
        // Update first, insert only a new block: ids then stay consecutive, so the trim below is exact.
        if (update.run(...row).changes === 0) insert.run(...row);
      }
      trim.run(keep);
    })();
  }

  private prepareWrites(): Writes {
    return {
      update: this.db.prepare('UPDATE blocks SET height = ?, first_seen_ms = ?, slow = ?, record = ? WHERE hash = ?'),
      insert: this.db.prepare('INSERT INTO blocks (height, first_seen_ms, slow, record, hash) VALUES (?, ?, ?, ?, ?)'),
      // Rows are only ever removed from the oldest end, so the newest `keep` ids are the last `keep`
      // numbers: no scan of the table, whatever its size.
      trim: this.db.prepare('DELETE FROM blocks WHERE id <= (SELECT max(id) FROM blocks) - ?'),
    };
  }

  addAlert(hash: string, a: AlertAttempt): void {
    // The block may have been trimmed meanwhile (a tiny --journal-blocks): its history goes with it.
    this.db
      .prepare(
        'INSERT INTO alerts (hash, at_ms, attempt, status, error) SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM blocks WHERE hash = ?)',
      )
      .run(hash, Date.parse(a.time), a.attempt, a.status, a.error, hash);
  }

  list(q: Query): BlockRecord[] {
    const where: string[] = [];
    const args: (number | string)[] = [];
    if (q.sinceHeight !== undefined) {
      where.push('height >= ?');
      args.push(q.sinceHeight);
    }
    if (q.sinceMs !== undefined) {
      where.push('first_seen_ms >= ?');
      args.push(q.sinceMs);
    }
    if (q.slowOnly) where.push('slow IS NOT NULL');
    const rows = this.db
      .prepare(
        `SELECT hash, record FROM blocks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...args, q.limit) as Row[];
    return rows.map((row) => this.withAlerts(row));
  }

  get(hash: string): BlockRecord | undefined {
    const row = this.byHash.get(hash) as Row | undefined;
    return row && this.withAlerts(row);
  }

  /** SQLite's own check of the file: 'ok', or what is wrong. */
  integrity(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM blocks').get() as { n: number }).n;
  }

  private withAlerts(row: Row): BlockRecord {
    const alerts = (
      this.alertsOf.all(row.hash) as { at_ms: number; attempt: number; status: number | null; error: string | null }[]
    ).map((a) => ({ time: new Date(a.at_ms).toISOString(), attempt: a.attempt, status: a.status, error: a.error }));
    return { ...(JSON.parse(row.record) as Omit<BlockRecord, 'alerts'>), alerts };
  }

  close(): void {
    this.db.close();
  }
}
