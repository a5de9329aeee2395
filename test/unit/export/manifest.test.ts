import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { csvField, MANIFEST_COLUMNS, ManifestWriter, readManifestRows, type ManifestRow } from '../../../main/export/manifest.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const row: ManifestRow = {
  frameId: 1, runId: 1, block: '1', well: 'imgNo1', t: 3, channel: '0', kind: 'restored',
  outputPath: 'B1/x.tif', outputSha256: 'ab', outputBits: 8, width: 4, height: 4,
  sourcePath: '/ws/r.tif', sourcePage: 0, sourceSha256: 'cd', originalPath: '/acq/o.tif', originalSha256: 'ef',
  decision: 'accept', reviewer: 'ana', decidedAt: '2026-01-01T00:00:00.000Z', note: 'sharp, "good"',
  classifierModelId: 'cls', classifierModelSha256: '11', restorationModelId: 'ddpm', restorationModelSha256: '22',
  sampler: 'ddim', steps: 50, eta: 0, ensemble: 4, seeds: [1, 2, 3, 4], pOofBefore: 0.9, pOofAfter: 0.1,
  tenenbaumBefore: 1.5, tenenbaumAfter: 3.5, spreadMean: 0.01,
};

describe('csvField', () => {
  it('quotes commas, quotes and newlines; null is empty', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField(null)).toBe('');
    expect(csvField([1, 2])).toBe('1 2');
    expect(csvField(-0.5)).toBe('-0.5');
  });
  it('neutralises spreadsheet formulas', () => {
    expect(csvField('=cmd()')).toBe("'=cmd()");
    expect(csvField('-x')).toBe("'-x");
  });
});

describe('ManifestWriter', () => {
  it('streams CSV and JSON with one row per frame and hashes the JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-manifest-'));
    dirs.push(dir);
    const w = new ManifestWriter(dir, { version: 1, exportId: 5, createdAt: 'now', appVersion: '0.1.0', policy: { include: 'curated' } });
    w.add(row);
    w.add({ ...row, frameId: 2, kind: 'original', note: null });
    const sha = w.finish();
    const jsonText = readFileSync(join(dir, 'manifest.json'));
    expect(sha).toBe(createHash('sha256').update(jsonText).digest('hex'));
    const doc = JSON.parse(jsonText.toString('utf8'));
    expect(doc.exportId).toBe(5);
    expect(doc.rows).toHaveLength(2);
    expect(doc.rows[0]).toEqual(row);
    expect(readManifestRows(dir)).toEqual(doc.rows);
    const lines = readFileSync(join(dir, 'manifest.csv'), 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]!.split(',')).toEqual(MANIFEST_COLUMNS.map(([n]) => n));
    expect(lines[1]).toContain('"sharp, ""good"""');
    expect(lines[1]).toContain(',1 2 3 4,');
  });
  it('an empty export is still valid JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pf-manifest-'));
    dirs.push(dir);
    new ManifestWriter(dir, { version: 1, exportId: 1, createdAt: 'now', appVersion: 'x', policy: {} }).finish();
    expect(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).rows).toEqual([]);
  });
});
