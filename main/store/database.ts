/**
 * Opens a workspace database: pragmas set once, numbered migrations applied in
 * transactions, a database written by a newer app refused.
 */
import Database from 'better-sqlite3';
import { accessSync, chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { latestSchemaVersion, migrations } from './migrations/index.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'postfocus.sqlite';

export class WorkspaceError extends Error {}

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for the running runtime (Electron passes its own). */
  nativeBinding?: string;
  readonly?: boolean;
  /**
   * Read-only workspaces only: open the snapshot copy writable, for work that
   * records a row nobody will keep (an export to elsewhere: its manifest is in
   * the destination).
   */
  scratch?: boolean;
  /** Receives the note said when a read-only workspace is read from a snapshot (default: stderr). */
  note?: (message: string) => void;
}

/** Snapshot folders of read-only workspaces, removed when their connection is closed. */
const snapshots = new WeakMap<Db, string>();

/** Whether the workspace folder exists and this process may create files in it. */
export function isWorkspaceWritable(workspaceDir: string): boolean {
  try {
    accessSync(workspaceDir, constants.W_OK);
    const db = join(workspaceDir, DATABASE_FILE);
    if (existsSync(db)) accessSync(db, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Refuses a workspace path that names a file (the message says so, not "not writable (EEXIST)"). */
export function assertWorkspaceFolder(workspaceDir: string): void {
  let isDir = true;
  try {
    isDir = statSync(workspaceDir).isDirectory();
  } catch {
    return; // missing: created (or reported) by the caller
  }
  if (!isDir) throw new WorkspaceError(`workspace ${workspaceDir} is a file, not a folder: give the folder that holds (or will hold) ${DATABASE_FILE}`);
}

/**
 * Opens (creating if needed) the workspace folder's database and migrates it.
 * `readonly`: never writes the workspace. A WAL database whose folder is
 * read-only (a mounted archive, another user's workspace) cannot be opened in
 * place (SQLite needs to create its -shm file there), so it is read from a
 * snapshot copy in the temporary folder, and `note` says so.
 */
export function openWorkspaceDb(workspaceDir: string, options: OpenOptions = {}): Db {
  assertWorkspaceFolder(workspaceDir);
  if (options.readonly) {
    const file = join(workspaceDir, DATABASE_FILE);
    if (!existsSync(file)) throw new WorkspaceError(`no workspace at ${workspaceDir} (no ${DATABASE_FILE})`);
    if (isWorkspaceWritable(workspaceDir)) return openDb(file, options);
    return openSnapshot(workspaceDir, options);
  }
  try {
    mkdirSync(workspaceDir, { recursive: true });
    accessSync(workspaceDir, constants.W_OK);
  } catch (err) {
    throw new WorkspaceError(
      `workspace ${workspaceDir} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)}): ` +
        'choose a workspace folder on a writable disk (a read-only workspace can still be viewed: status, eval, export to another folder, serve --no-pipeline)',
    );
  }
  return openDb(join(workspaceDir, DATABASE_FILE), options);
}

function openSnapshot(workspaceDir: string, options: OpenOptions): Db {
  const dir = mkdtempSync(join(tmpdir(), 'postfocus-readonly-'));
  const file = join(dir, DATABASE_FILE);
  try {
    // Copies are ours (copyFile keeps the source's read-only mode; SQLite must write its -shm beside them).
    copyFileSync(join(workspaceDir, DATABASE_FILE), file);
    chmodSync(file, 0o600);
    // The write-ahead log holds the latest commits of a station that did not close cleanly.
    const wal = join(workspaceDir, `${DATABASE_FILE}-wal`);
    if (existsSync(wal)) {
      copyFileSync(wal, `${file}-wal`);
      chmodSync(`${file}-wal`, 0o600);
    }
    const db = openDb(file, { ...options, readonly: !options.scratch });
    snapshots.set(db, dir);
    (options.note ?? ((m: string) => process.stderr.write(`note: ${m}\n`)))(
      `workspace ${workspaceDir} is read-only: reading a snapshot of its database taken now` +
        (options.scratch ? ' (what this command records is not kept in the workspace)' : ''),
    );
    return db;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    if (err instanceof WorkspaceError) throw err;
    throw new WorkspaceError(`cannot read the read-only workspace ${workspaceDir}: ${(err as Error).message}`);
  }
}

/** Opens a database file (or ':memory:') with the station's pragmas and migrations. */
export function openDb(file: string, options: OpenOptions = {}): Db {
  let db: Db;
  try {
    db = new Database(file, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}),
    });
  } catch (err) {
    throw new WorkspaceError(`cannot open workspace database ${file}: ${(err as Error).message}`);
  }
  try {
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    migrate(db, options.readonly ?? false);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** Applies pending migrations, each in its own transaction that sets user_version. */
export function migrate(db: Db, readonly = false): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latestSchemaVersion) {
    throw new WorkspaceError(
      `this workspace was written by a newer PostFocus Station (schema ${current}, this app knows up to ` +
        `${latestSchemaVersion}); update the app to open it`,
    );
  }
  if (current === latestSchemaVersion) return;
  if (readonly) throw new WorkspaceError(`workspace schema ${current} needs migration but was opened read-only`);
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.up);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** Closes with `PRAGMA optimize`, as SQLite recommends for long-lived connections. */
export function closeDb(db: Db): void {
  if (!db.open) return;
  try {
    if (!db.readonly) db.pragma('optimize');
  } finally {
    db.close();
    const snapshot = snapshots.get(db);
    if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  }
}

/** ISO-8601 UTC timestamp used in every `*_at` column. */
export function nowIso(): string {
  return new Date().toISOString();
}

/**
 * Returns a getter for statements prepared once per connection and reused:
 * query modules call it at module level, `const stmts = preparedOnce((db) => ({ ... }))`.
 */
export function preparedOnce<T>(prepare: (db: Db) => T): (db: Db) => T {
  const cache = new WeakMap<Db, T>();
  return (db: Db) => {
    let statements = cache.get(db);
    if (!statements) {
      statements = prepare(db);
      cache.set(db, statements);
    }
    return statements;
  };
}
