/**
 * Export safety: refused destinations, merge, a full disk (real tmpfs), and the
 * database left untouched except the export row.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportRefusedError } from '../../main/export/destination.js';
import { exportDataset } from '../../main/export/export.js';
import type { ManifestRow } from '../../main/export/manifest.js';
import { closeDb, type Db } from '../../main/store/database.js';
import { listExports } from '../../main/store/queries/exports.js';
import { createTestWorkspace, policyCasesSpec, type TestWorkspace } from '../helpers/export/workspace.js';
import { listFiles, sha256File } from '../helpers/export/verify.js';

let root: string;
let ws: TestWorkspace;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'pf-export-safety-'));
  ws = createTestWorkspace(root, policyCasesSpec());
});
afterAll(() => {
  closeDb(ws.db);
  rmSync(root, { recursive: true, force: true });
});

/** Every table but `export`, dumped in id order: what an export must never change. */
function dumpOtherTables(db: Db): string {
  const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('export') AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[]).map((t) => t.name);
  return JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]));
}

function lastExport() {
  return listExports(ws.db).at(-1)!;
}

function noPartialLeft(dir: string): void {
  expect(readdirSync(dir).filter((n) => n.includes('.partial-'))).toEqual([]);
}

describe('refusals', () => {
  it('refuses a destination inside the acquisition folder, writes nothing there', async () => {
    const before = listFiles(ws.acquisition);
    const dest = join(ws.acquisition, 'B1', 'export');
    await expect(exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest })).rejects.toThrow(ExportRefusedError);
    await expect(exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest })).rejects.toThrow(/inside the acquisition folder/);
    expect(listFiles(ws.acquisition)).toEqual(before);
    expect(lastExport()).toMatchObject({ status: 'failed', destination: dest });
    expect(lastExport().error).toMatch(/inside the acquisition folder/);
  });

  it('refuses an existing destination without merge and leaves it as it was', async () => {
    const dest = join(root, 'existing');
    mkdirSync(dest);
    writeFileSync(join(dest, 'keep.txt'), 'mine');
    await expect(exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest })).rejects.toThrow(/already exists.*--merge/);
    expect(readdirSync(dest)).toEqual(['keep.txt']);
    expect(lastExport().status).toBe('failed');
    noPartialLeft(root);
  });
});

describe('merge', () => {
  it('adds and replaces files, keeps others, rewrites the manifest with the rows still valid', async () => {
    const dest = join(root, 'merged');
    const first = await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, policy: { include: 'curated', layout: 'per-well' } });
    writeFileSync(join(dest, 'notes.txt'), 'lab notes');
    // A second export with another policy: t3 (rejected) now comes in, t1 is rewritten.
    const second = await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, merge: true, policy: { include: 'all-decided', layout: 'per-well' } });
    expect(second.exportId).toBeGreaterThan(first.exportId);
    expect(readFileSync(join(dest, 'notes.txt'), 'utf8')).toBe('lab notes');
    const rows = (JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as { rows: ManifestRow[]; merged: boolean; exportId: number }).rows;
    expect(rows.map((r) => r.outputPath).sort()).toEqual(
      ['B1/imgNo1/t1.tif', 'B1/imgNo1/t2.tif', 'B1/imgNo1/t3.tif', 'B1/imgNo1/t6.tif', 'B2/imgNo2/t1.tif', 'B2/imgNo2/t2.tif', 'B2/imgNo2/t3.tif', 'B2/imgNo2/t4.tif'],
    );
    for (const r of rows) expect(sha256File(join(dest, r.outputPath))).toBe(r.outputSha256);
    expect(sha256File(join(dest, 'manifest.json'))).toBe(second.manifestSha256);
    expect(lastExport()).toMatchObject({ status: 'done', manifestSha256: second.manifestSha256 });
    noPartialLeft(root);
  });

  it('keeps rows of files the new export did not write', async () => {
    const dest = join(root, 'merged-keep');
    await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, policy: { include: 'all-decided', layout: 'per-well' } });
    await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, merge: true, policy: { include: 'curated', layout: 'per-well' } });
    const rows = (JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as { rows: ManifestRow[] }).rows;
    expect(rows.find((r) => r.outputPath === 'B1/imgNo1/t3.tif')).toMatchObject({ kind: 'original', decision: 'reject' });
    expect(rows).toHaveLength(8);
  });
});

describe('a full disk', () => {
  let mountPoint: string | null = null;
  let mountError: string | null = null;

  beforeAll(() => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-export-tmpfs-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { encoding: 'utf8' });
    if (r.status === 0) mountPoint = dir;
    else {
      mountError = (r.error?.message ?? r.stderr.trim()) || `mount exited with ${r.status}`;
      rmSync(dir, { recursive: true, force: true });
    }
  });
  afterAll(() => {
    if (!mountPoint) return;
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('ENOSPC: clear error, partial output removed, export row failed, other tables untouched', async (ctx) => {
    if (!mountPoint) {
      console.log(`skipping the full-disk test: cannot mount a 64 KiB tmpfs (${mountError})`);
      ctx.skip();
    }
    // Big enough frames that the export cannot fit in 64 KiB.
    const bigRoot = join(root, 'big');
    const big = createTestWorkspace(bigRoot, { width: 96, height: 96, wells: [{ block: '1', well: 'w1', frames: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((t) => ({ t, kind: 'in_focus' as const })) }] });
    try {
      const before = dumpOtherTables(big.db);
      const dest = join(mountPoint!, 'export');
      const err = await exportDataset({ db: big.db, workspace: big.workspace, destination: dest }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/disk full while writing the export/);
      expect(readdirSync(mountPoint!)).toEqual([]);
      const rows = listExports(big.db);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'failed', destination: dest, manifestSha256: null });
      expect(rows[0]!.error).toMatch(/ENOSPC|disk full/);
      expect(rows[0]!.finishedAt).not.toBeNull();
      expect(dumpOtherTables(big.db)).toBe(before);
      // Room again: the same export now succeeds.
      rmSync(join(mountPoint!, 'export'), { recursive: true, force: true });
      const small = join(root, 'after-full');
      await expect(exportDataset({ db: big.db, workspace: big.workspace, destination: small, policy: { omeStacks: false } })).resolves.toMatchObject({ framesExported: 10 });
    } finally {
      closeDb(big.db);
    }
  });
});

describe('CLI', () => {
  const cli = join(process.cwd(), 'bin', 'postfocus.js');

  it('--help documents the policies', () => {
    const r = spawnSync(process.execPath, [cli, 'export', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const word of ['curated', 'all-decided', 'everything', '--merge', '--training-pack', 'blank']) expect(r.stdout).toContain(word);
  });

  it('--json prints one JSON document on stdout, progress on stderr', () => {
    const dest = join(root, 'cli-out');
    const r = spawnSync(process.execPath, [cli, 'export', ws.workspace, dest, '--policy', 'everything', '--layout', 'per-well', '--no-ome', '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ framesExported: 10, framesExcluded: 0, destination: dest, policy: { include: 'everything', layout: 'per-well', omeStacks: false } });
    expect(r.stderr).toMatch(/export/);
    expect(existsSync(join(dest, 'ome'))).toBe(false);
    expect(existsSync(join(dest, 'B1', 'imgNo1', 't4.tif'))).toBe(true);
  });

  it('refusals exit non-zero with the reason', () => {
    const r = spawnSync(process.execPath, [cli, 'export', ws.workspace, join(ws.acquisition, 'x')], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/inside the acquisition folder/);
    const bad = spawnSync(process.execPath, [cli, 'export', ws.workspace, join(root, 'y'), '--policy', 'some'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--policy must be one of curated, all-decided, everything/);
  });
});
