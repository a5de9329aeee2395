import { copyFileSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_USABILITY } from '../../main/common/usability.js';
import { closeDb, openWorkspaceDb } from '../../main/store/database.js';
import { allWellSummaries, appendDecisions, restorationFiles } from '../../main/store/queries/review.js';
import { runCli } from '../helpers/cli.js';
import { expectSameAsSingleRun, framesOf, rowCounts } from '../helpers/shards.js';
import { tempDir } from '../helpers/workspace.js';

// Small but real: 12 nanowells x 6 frames (NALM-6 preset: a few OOF frames, so the
// domain guard stays clear in the whole run and in each shard), restoration with
// DDIM 2 steps x 2 members so the seeds matter.
const RESTORE = ['--sampler', 'ddim', '--steps', '2', '--ensemble', '2', '--threads', '1'];

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args);
  if (r.code !== 0) throw new Error(`postfocus ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

let tmp: ReturnType<typeof tempDir>;
const at = (name: string) => join(tmp.dir, name);

beforeAll(async () => {
  tmp = tempDir('pf-shards-');
  await cli(['simulate', at('acq'), '--truth', at('truth'), '--blocks', '1', '--wells', '12', '--frames', '6', '--size', '96', '--preset', 'nalm6', '--seed', '3', '--threads', '1']);
  // The whole acquisition in one process, and its two shards in two processes at the same time.
  await Promise.all([
    cli(['process', at('acq'), '-w', at('single'), ...RESTORE, '--quiet']),
    cli(['process', at('acq'), '-w', at('s0'), '--shard', '0/2', ...RESTORE, '--quiet']),
    cli(['process', at('acq'), '-w', at('s1'), '--shard', '1/2', ...RESTORE, '--quiet']),
  ]);
}, 300_000);
afterAll(() => tmp?.cleanup());

describe('process --shard i/N + merge', () => {
  it('splits the acquisition by nanowell: every frame in exactly one shard', async () => {
    const [s0, s1, single] = await Promise.all([framesOf(at('s0')), framesOf(at('s1')), framesOf(at('single'))]);
    expect(s0.size).toBeGreaterThan(0);
    expect(s1.size).toBeGreaterThan(0);
    expect(s0.size + s1.size).toBe(single.size);
    for (const key of s0.keys()) expect(s1.has(key), key).toBe(false);
  });

  it('merges into what one process of the whole acquisition gives (frames --json, restorations)', async () => {
    const merged = JSON.parse(await cli(['merge', at('merged'), at('s0'), at('s1'), '--json', '--quiet']));
    expect(merged.coverage).toEqual({ count: 2, merged: [0, 1], missing: [] });
    expect(merged.frames).toBe(72);
    await expectSameAsSingleRun(at('merged'), at('single'));
  }, 120_000);

  it('merging again adds nothing', async () => {
    const before = rowCounts(at('merged'));
    const again = JSON.parse(await cli(['merge', at('merged'), at('s1'), at('s0'), '--json', '--quiet']));
    for (const s of again.shards) expect(Object.values(s.added).every((n) => n === 0), JSON.stringify(s.added)).toBe(true);
    expect(rowCounts(at('merged'))).toEqual(before);
  });

  it('eval and export work on the merged workspace as on the single run', async () => {
    const [m, s] = await Promise.all([
      cli(['eval', at('merged'), '--truth', at('truth'), '--json']),
      cli(['eval', at('single'), '--truth', at('truth'), '--json']),
    ]);
    const strip = (doc: string) => {
      const { workspace: _w, ...rest } = JSON.parse(doc) as Record<string, unknown>;
      return JSON.parse(JSON.stringify(rest, (_k, v) => (typeof v === 'number' ? Number(v.toPrecision(6)) : v)));
    };
    expect(strip(m)).toEqual(strip(s));
    const exported = JSON.parse(await cli(['export', at('merged'), at('export'), '--policy', 'everything', '--json']));
    expect(exported.framesExported).toBe(72);
    expect(existsSync(join(at('export'), 'manifest.csv'))).toBe(true);
  }, 120_000);

  it('review reads the merged workspace as the single run (plate summaries) and records decisions on it', () => {
    /** Ids differ between workspaces: drop every *id / *Id field, keep the rest. */
    const withoutIds = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(withoutIds) : v && typeof v === 'object'
        ? Object.fromEntries(Object.entries(v).filter(([k]) => !/(^id$|Id$|Ids$)/.test(k)).map(([k, x]) => [k, withoutIds(x)]))
        : v;
    const summaries = (ws: string) => {
      const db = openWorkspaceDb(ws, { readonly: true });
      try {
        return withoutIds(allWellSummaries(db, DEFAULT_USABILITY));
      } finally {
        closeDb(db);
      }
    };
    expect(summaries(at('merged'))).toEqual(summaries(at('single')));
    const db = openWorkspaceDb(at('merged'));
    try {
      const restored = db.prepare(`SELECT frame_id AS id FROM restoration ORDER BY frame_id LIMIT 1`).get() as { id: number };
      const write = appendDecisions(db, { frameIds: [restored.id], verdict: 'accept', reviewer: 'merge-test' });
      expect(write.decisionIds).toHaveLength(1);
      expect(restorationFiles(db, restored.id)!.meanPath).toBe(`derived/${restored.id}-mean.tif`);
    } finally {
      closeDb(db);
    }
  });

  it('the acquisition grows by a time point: each shard ingests only its nanowells\' new frames, a re-merge adds them', async () => {
    // A seventh time point for every nanowell (a copy of the sixth: the acquisition is the test's, not the app's).
    const wellsDir = join(at('acq'), 'B1/images/crops_8bit_s');
    for (const w of readdirSync(wellsDir)) {
      const t6 = readdirSync(join(wellsDir, w)).find((f) => f.endsWith('_t6.tif'))!;
      copyFileSync(join(wellsDir, w, t6), join(wellsDir, w, t6.replace('_t6.tif', '_t7.tif')));
    }
    const before = await Promise.all([framesOf(at('s0')), framesOf(at('s1'))]);
    const grown = await Promise.all(
      [0, 1].map(async (i) => JSON.parse(await cli(['process', at('acq'), '-w', at(`s${i}`), '--shard', `${i}/2`, ...RESTORE, '--json', '--quiet']))),
    );
    // Six frames per nanowell before, so each shard gains one frame per nanowell it holds.
    grown.forEach((g, i) => expect(g.ingest.ingested, `shard ${i}/2`).toBe(before[i]!.size / 6));
    const merged = JSON.parse(await cli(['merge', at('merged'), at('s0'), at('s1'), '--json', '--quiet']));
    expect(merged.frames).toBe(84);
    expect(merged.shards.reduce((n: number, s: { added: { frames: number } }) => n + s.added.frames, 0)).toBe(12);
  }, 120_000);

  it('a workspace keeps its shard: another shard or the whole acquisition is refused', async () => {
    const other = await runCli(['process', at('acq'), '-w', at('s0'), '--shard', '1/2', '--quiet']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/holds shard 0\/2 of .*acq, not shard 1\/2/);
    const whole = await runCli(['process', at('acq'), '-w', at('s0'), '--quiet']);
    expect(whole.code).toBe(1);
    expect(whole.stderr).toMatch(/holds shard 0\/2 .*not the whole acquisition/);
    const bad = await runCli(['process', at('acq'), '-w', at('s9'), '--shard', '2/2']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shard: shard index i must be below N/);
  });
});
