// The live watcher as operators run it: `node bin/postfocus.js watch` processes
// watching a folder that a separate writer process fills at ~50 frames/s, with
// slow and stalling writes, corrupt files and unrelated files mixed in. One
// watcher runs undisturbed; the other is SIGKILLed midway and restarted. Both
// must end with every frame ingested exactly once, none before it was complete,
// and the same database content.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeDb, DATABASE_FILE, openDb, type Db } from '../../main/store/database.js';
import { ensureCliBuilt, REPO_ROOT, runNode, spawnCli, type RunningCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/workspace.js';

const WRITER = resolve(REPO_ROOT, 'test/helpers/acquisition-writer.mjs');
const FRAMES = 2000;
const CORRUPT = 200;
const IGNORED = 20;
const RATE = 50;

const tmp = tempDir('pf-live-');
const running: RunningCli[] = [];
beforeAll(() => ensureCliBuilt());
afterAll(() => {
  for (const r of running) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
  tmp.cleanup();
});

/** Opens a workspace read-only, or returns null while the watcher is still creating it. */
function peek<T>(ws: string, read: (db: Db) => T): T | null {
  const file = join(ws, DATABASE_FILE);
  if (!existsSync(file)) return null;
  let db: Db | undefined;
  try {
    db = openDb(file, { readonly: true });
    return read(db);
  } catch {
    return null;
  } finally {
    if (db) closeDb(db);
  }
}

function counts(ws: string): { frames: number; errors: number; ignored: number } {
  return (
    peek(ws, (db) => ({
      frames: (db.prepare('SELECT count(*) AS n FROM frame').get() as { n: number }).n,
      errors: (db.prepare('SELECT count(*) AS n FROM error_log').get() as { n: number }).n,
      ignored: (db.prepare('SELECT coalesce(sum(ignored_files), 0) AS n FROM run').get() as { n: number }).n,
    })) ?? { frames: 0, errors: 0, ignored: 0 }
  );
}

/** Database content that must not depend on interruptions (no ids, no ingest times). */
function dump(ws: string) {
  return peek(ws, (db) => ({
    runs: db.prepare('SELECT root, layout, pattern, ignored_files FROM run ORDER BY root').all(),
    wells: db.prepare('SELECT block, well, position FROM nanowell ORDER BY block, well').all(),
    frames: db
      .prepare(
        `SELECT n.block, n.well, f.t, f.channel, f.path, f.page, f.width, f.height, f.bits, f.size, f.mtime_ms, f.state
           FROM frame f JOIN nanowell n ON n.id = f.nanowell_id ORDER BY n.block, n.well, f.t, f.channel`,
      )
      .all() as { path: string; size: number; mtime_ms: number }[],
    errors: db.prepare('SELECT source, path, message FROM error_log ORDER BY path, source').all() as {
      path: string | null;
      message: string;
    }[],
  }))!;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function listFiles(dir: string, rel = ''): string[] {
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(dir, rel ? `${rel}/${e.name}` : e.name) : [rel ? `${rel}/${e.name}` : e.name],
  );
}

describe('postfocus watch with a live writer process', () => {
  it(
    'ingests 2,000 frames exactly once, only when complete; SIGKILL + restart ends identical to an uninterrupted run',
    async () => {
      const acq = join(tmp.dir, 'acq');
      mkdirSync(acq);
      const wsA = join(tmp.dir, 'ws-uninterrupted');
      const wsB = join(tmp.dir, 'ws-killed');
      const watch = (ws: string) => {
        const r = spawnCli(['watch', acq, '--workspace', ws, '--json', '--quiet', '--settle-ms', '2000', '--rescan-ms', '2000']);
        running.push(r);
        return r;
      };
      const a = watch(wsA);
      let b = watch(wsB);
      const writer = runNode(WRITER, [JSON.stringify({ root: acq, frames: FRAMES, rate: RATE, corrupt: CORRUPT, ignored: IGNORED, seed: 7 })]);

      await until('the second watcher to ingest 600 frames', () => counts(wsB).frames >= 600, 60_000);
      b.child.kill('SIGKILL');
      const killed = await b.exited;
      expect(killed.signal, 'watcher B should have died of SIGKILL').toBe('SIGKILL');
      const atKill = counts(wsB).frames;
      await new Promise((r) => setTimeout(r, 1500)); // frames keep arriving while B is down
      b = watch(wsB);

      const written = await writer.exited;
      expect(written.code, `writer failed: ${written.stderr}`).toBe(0);
      const report = JSON.parse(written.stdout) as { frames: number; corrupt: number; ignored: number; slow: number; stalled: number };
      expect(report).toMatchObject({ frames: FRAMES, corrupt: CORRUPT, ignored: IGNORED });
      expect(report.slow + report.stalled).toBeGreaterThan(100);

      const done = (ws: string) => {
        const c = counts(ws);
        return c.frames === FRAMES && c.errors === CORRUPT && c.ignored === IGNORED;
      };
      await until('both workspaces to hold every frame and every error', () => done(wsA) && done(wsB), 60_000);

      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
      const [ra, rb] = await Promise.all([a.exited, b.exited]);
      expect(ra.code, `watcher A: ${ra.stderr}`).toBe(0);
      expect(rb.code, `watcher B: ${rb.stderr}`).toBe(0);
      const finalA = JSON.parse(ra.stdout) as { layout: string; counters: { ingested: number; errors: number } };
      expect(finalA).toMatchObject({ layout: 'timing', counters: { ingested: FRAMES, errors: CORRUPT } });
      const finalB = JSON.parse(rb.stdout) as { counters: { ingested: number } };
      expect(finalB.counters.ingested, 'the restarted watcher re-ingested frames').toBe(FRAMES - atKill);

      const dumpA = dump(wsA);
      const dumpB = dump(wsB);
      expect(dumpA.frames).toHaveLength(FRAMES);
      expect(dumpB, 'killed-and-restarted workspace differs from the uninterrupted one').toEqual(dumpA);

      // Exactly once, and never before complete: the size and mtime recorded at ingest are the final file's.
      expect(new Set(dumpA.frames.map((f) => f.path)).size).toBe(FRAMES);
      for (const f of dumpA.frames) {
        const st = statSync(join(acq, f.path));
        if (f.size !== st.size || f.mtime_ms !== st.mtimeMs) {
          throw new Error(`${f.path} ingested at ${f.size} bytes / mtime ${f.mtime_ms}, final ${st.size} / ${st.mtimeMs}`);
        }
      }
      expect(dumpA.errors).toHaveLength(CORRUPT);
      for (const e of dumpA.errors) expect(e.path, e.message).toMatch(/^B2\/images\/crops_8bit_s\/bad\d{4}CH0\//);
      // The acquisition folder holds only what the writer wrote.
      expect(listFiles(acq)).toHaveLength(FRAMES + CORRUPT + IGNORED);
    },
    180_000,
  );
});
