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
import { createTestWorkspace, type TestWorkspace, withPolicyWorkspace } from '../helpers/export/workspace.js';
import { listFiles, sha256File } from '../helpers/export/verify.js';

let root: string;
let ws: TestWorkspace;
withPolicyWorkspace('pf-export-safety-', (r, w) => {
  root = r;
  ws = w;
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
    await expect(exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest })).rejects.toThrow(/already exists.*merge into it/);
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

  it('never deletes or overwrites a file it did not write: a user file B1 where a folder goes, a user file under an export name', async () => {
    const dest = join(root, 'merge-user-files');
    mkdirSync(dest);
    writeFileSync(join(dest, 'B1'), 'user data');
    writeFileSync(join(dest, 'summary.json'), 'user summary');
    writeFileSync(join(dest, 'notes.txt'), 'lab notes');
    await expect(
      exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, merge: true, policy: { include: 'curated', layout: 'per-well' } }),
    ).rejects.toThrow(/cannot merge[\s\S]*B1 \(a file where the export puts a folder\)[\s\S]*summary\.json \(not written by an export\)/);
    expect(readdirSync(dest).sort()).toEqual(['B1', 'notes.txt', 'summary.json']);
    expect(readFileSync(join(dest, 'B1'), 'utf8')).toBe('user data');
    expect(readFileSync(join(dest, 'summary.json'), 'utf8')).toBe('user summary');
    expect(lastExport()).toMatchObject({ status: 'failed' });
    noPartialLeft(root);
  });

  it('merges again into its own export (files it wrote and left unchanged are replaced)', async () => {
    const dest = join(root, 'merge-twice');
    await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, policy: { include: 'curated', layout: 'per-well' } });
    const listed = JSON.parse(readFileSync(join(dest, 'export-files.json'), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(listed.files)).toEqual(expect.arrayContaining(['manifest.json', 'summary.json', 'report.html', 'B1/imgNo1/t1.tif']));
    for (const [rel, sha] of Object.entries(listed.files)) expect(sha256File(join(dest, rel)), rel).toBe(sha);
    await exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, merge: true, policy: { include: 'curated', layout: 'per-well' } });
    // A user edit to an exported file turns it into theirs: the next merge refuses to replace it.
    writeFileSync(join(dest, 'B1', 'imgNo1', 't1.tif'), 'edited by hand');
    await expect(
      exportDataset({ db: ws.db, workspace: ws.workspace, destination: dest, merge: true, policy: { include: 'curated', layout: 'per-well' } }),
    ).rejects.toThrow(/B1\/imgNo1\/t1\.tif \(changed since the export wrote it\)/);
    expect(readFileSync(join(dest, 'B1', 'imgNo1', 't1.tif'), 'utf8')).toBe('edited by hand');
  });

  it('refuses the workspace and any folder inside it as a destination', async () => {
    await expect(exportDataset({ db: ws.db, workspace: ws.workspace, destination: ws.workspace, merge: true })).rejects.toThrow(/workspace/);
    await expect(exportDataset({ db: ws.db, workspace: ws.workspace, destination: join(ws.workspace, 'exports', 'x') })).rejects.toThrow(/inside the workspace/);
    expect(existsSync(join(ws.workspace, 'exports'))).toBe(false);
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
    const exists = join(root, 'cli-exists');
    mkdirSync(exists);
    const again = spawnSync(process.execPath, [cli, 'export', ws.workspace, exists], { encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists.*add --merge to merge/);
    const bad = spawnSync(process.execPath, [cli, 'export', ws.workspace, join(root, 'y'), '--policy', 'some'], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--policy must be one of curated, all-decided, everything/);
  });
});
