import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_MODELS, tempDir } from '../unit/inference/helpers.js';

const cli = 'bin/postfocus.js';
function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`postfocus ${args[0]} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

describe('postfocus simulate → process → eval', () => {
  it('scores detection, restoration and usable-video yield against the simulator truth (JSON + PNG chart)', () => {
    const dir = tempDir('eval');
    const [acq, truth, ws, chart] = ['acq', 'truth', 'ws', 'yield.png'].map((n) => join(dir, n)) as [string, string, string, string];
    run('simulate', acq, '--truth', truth, '--blocks', '2', '--wells', '3', '--frames', '8', '--size', '64', '--preset', 'skov3', '--seed', '5', '--threads', '1');
    const processed = JSON.parse(run('process', acq, '--workspace', ws, '--models', FIXTURE_MODELS, '--steps', '2', '--ensemble', '2', '--threads', '1', '--restore-anyway', '--json', '--quiet'));
    expect(processed.frames.frames).toBe(48);
    const report = JSON.parse(run('eval', ws, '--truth', truth, '--json', '--chart', chart));

    expect(report.frames).toMatchObject({ truth: 48, matched: 48, classified: 48 });
    const d = report.detection;
    expect(d.tp + d.fp + d.tn + d.fn).toBe(48);
    expect(d.accuracy).toBeCloseTo((d.tp + d.tn) / 48, 10);
    for (const k of ['accuracy', 'precision', 'recall', 'f1']) expect(d[k]).toBeGreaterThanOrEqual(0), expect(d[k]).toBeLessThanOrEqual(1);
    const truthOof = readFileSync(join(truth, 'truth.csv'), 'utf8').trim().split('\n').slice(1).filter((l) => l.split(',')[2] === '1').length;
    expect(d.tp + d.fn).toBe(truthOof);

    // Restoration quality is scored on the truly OOF frames that were restored (true positives).
    expect(report.restoration.n).toBe(d.tp);
    expect(report.restoration.n + report.restoration.in_focus_restored).toBe(processed.frames.restored);
    expect(report.restoration.n).toBeGreaterThan(0);
    for (const side of ['input', 'restored']) {
      expect(Number.isFinite(report.restoration[side].psnr)).toBe(true);
      expect(Math.abs(report.restoration[side].edge_pcc)).toBeLessThanOrEqual(1);
    }
    expect(report.yield.videos).toBe(6);
    expect(report.yield.blocks.map((b: { block: string }) => b.block)).toEqual(['1', '2']);
    for (const k of ['usable_before', 'usable_after', 'usable_truth']) {
      expect(Number.isInteger(report.yield[k])).toBe(true);
      expect(report.yield[k]).toBeLessThanOrEqual(6);
    }
    expect(existsSync(chart)).toBe(true);
    expect(readFileSync(chart).subarray(1, 4).toString()).toBe('PNG');
  });
});
