/**
 * Opens a workspace database: pragmas set once, numbered migrations applied in
 * transactions, a database written by a newer app refused.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { latestSchemaVersion, migrations } from './migrations/index.js';

export type Db = Database.Database;

export const DATABASE_FILE = 'postfocus.sqlite';

export class WorkspaceError extends Error {}

export interface OpenOptions {
  /** Path to a better_sqlite3.node built for the running runtime (Electron passes its own). */
  nativeBinding?: string;
  readonly?: boolean;
}

/** Opens (creating if needed) the workspace folder's database and migrates it. */
export function openWorkspaceDb(workspaceDir: string, options: OpenOptions = {}): Db {
  if (!options.readonly) {
    try {
      mkdirSync(workspaceDir, { recursive: true });
      accessSync(workspaceDir, constants.W_OK);
    } catch (err) {
      throw new WorkspaceError(
        `workspace ${workspaceDir} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)}): ` +
          'choose a workspace folder on a writable disk',
      );
    }
  }
  return openDb(join(workspaceDir, DATABASE_FILE), options);
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
