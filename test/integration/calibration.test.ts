// Calibration, domain guard and --no-restore through the real CLI, on held-out
// bright-field frames judged by the phase-contrast classifier.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, REPO_ROOT, runCli } from '../helpers/cli.js';
import { HOLDOUT_PATTERN, writeHoldoutAcquisition, type HoldoutFrame } from '../helpers/holdout-acquisition.js';
import { snapshotTree } from '../helpers/acquisition.js';
import { tempDir } from '../helpers/workspace.js';

const tmp = tempDir('pf-calibration-');
let acq: string;
let truth: HoldoutFrame[];
/** The shipped models with the phase-contrast-only classifier (pf-classifier-v1) in place of the shipped one. */
let phaseModels: string;

function phaseContrastModels(dir: string): string {
  const shipped = join(REPO_ROOT, 'models');
  const fixture = join(REPO_ROOT, 'test/fixtures/phase-contrast-classifier');
  const manifest = JSON.parse(readFileSync(join(shipped, 'manifest.json'), 'utf8')) as { models: { kind: string; file: string }[] };
  mkdirSync(dir, { recursive: true });
  const entry = JSON.parse(readFileSync(join(fixture, 'entry.json'), 'utf8')) as { kind: string; file: string };
  manifest.models = manifest.models.map((m) => {
    if (m.kind === 'classifier') return entry;
    copyFileSync(join(shipped, m.file), join(dir, m.file));
    return m;
  });
  copyFileSync(join(fixture, entry.file), join(dir, entry.file));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return dir;
}

beforeAll(async () => {
  await ensureCliBuilt();
  acq = join(tmp.dir, 'acq');
  truth = writeHoldoutAcquisition(acq, 32);
  phaseModels = phaseContrastModels(join(tmp.dir, 'models-phase-contrast'));
});
afterAll(() => tmp.cleanup());

const layout = ['--layout', 'pattern', '--pattern', HOLDOUT_PATTERN];
const models = () => ['--models', phaseModels];
type Frame = { path: string; oof: boolean; basis: string; state: string; calibration_id: number | null };

/** Runs a command with --json; exit 3 (completed with warnings, e.g. a tripped guard) is allowed when asked. */
async function json<T>(args: string[], codes = [0]): Promise<T> {
  const r = await runCli([...args, '--json']);
  expect(codes, `${args.join(' ')} exited ${r.code}: ${r.stderr}`).toContain(r.code);
  return JSON.parse(r.stdout) as T;
}

describe('calibration and the domain guard', () => {
  it('trips the guard on a bright-field run with phase-contrast models, holds restoration, and calibration releases it and survives a restart', async () => {
    const before = snapshotTree(acq);
    const ws = join(tmp.dir, 'ws');
    // 1. No --no-restore: the guard alone must keep restoration from running.
    const run1 = await runCli(['process', acq, '-w', ws, ...models(), ...layout, '--sampler', 'unet', '--quiet', '--json']);
    expect(run1.code, run1.stderr).toBe(3); // completed, with the guard's warning
    const s1 = JSON.parse(run1.stdout);
    expect(s1.frames.restored).toBe(0);
    expect(s1.frames.oof).toBeGreaterThan(0.4 * truth.length);
    expect(s1.restoration.guard).toMatchObject([{ runId: 1, state: 'tripped' }]);
    expect(s1.engine.disabledReason).toMatch(/restoration held by the domain guard \(run 1\): \d+ of the first 64 frames/);
    const st1 = await json<{ guard: { state: string; restorationHeld: boolean }[]; calibration: { summary: string }; recentErrors: { source: string; message: string }[] }>(['status', ws]);
    expect(st1.guard).toMatchObject([{ state: 'tripped', restorationHeld: true }]);
    expect(st1.calibration.summary).toBe('not calibrated');
    expect(st1.recentErrors.some((e) => e.source === 'guard' && /domain guard: .* judged out of focus/.test(e.message))).toBe(true);

    // 2. Calibrate on ≤ 10 labels per class (an operator's CSV, extra columns ignored).
    const inFocus = truth.filter((f) => !f.oof).slice(0, 10);
    const oof = truth.filter((f) => f.oof).slice(0, 10);
    const csv = join(tmp.dir, 'labels.csv');
    writeFileSync(csv, ['path,label,comment', ...inFocus.map((f) => `${f.path},in_focus,sharp`), ...oof.map((f) => `"${f.path}",oof,"blurred, clearly"`)].join('\n'));
    const profile = join(tmp.dir, 'profile.json');
    const cal = await json<{ calibration: { id: number; labels: { in_focus: number; oof: number }; cv_accuracy: number }; guards_released: number[]; summary: string }>(
      ['calibrate', ws, '--labels', csv, '--export', profile, '--who', 'ana'],
    );
    expect(cal.calibration.labels).toEqual({ in_focus: 10, oof: 10 });
    expect(cal.guards_released).toEqual([1]);
    expect(cal.summary).toMatch(/^calibrated on 20 labels, cross-validated accuracy (0|1)\.\d\d$/);
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toMatchObject({ format: 'postfocus-microscope-profile', labels: { inFocus: 10, oof: 10 } });

    // 3. A new process (restart) finds the calibration in force: status, frames, and the labels audit.
    const st2 = await json<{ calibration: { calibrated: boolean; who: string; labels: number; summary: string }; guard: { state: string }[] }>(['status', ws]);
    expect(st2.calibration).toMatchObject({ calibrated: true, who: 'ana', labels: 20, summary: cal.summary });
    expect(st2.guard).toMatchObject([{ state: 'released' }]);
    const frames = (await json<{ frames: Frame[] }>(['frames', ws])).frames;
    expect(frames.every((f) => f.basis === 'calibration' && f.calibration_id === cal.calibration.id)).toBe(true);
    // The labels are the operator's ground truth in the frames listing too.
    const byPath = new Map(frames.map((f) => [f.path, f as Frame & { label: string | null }]));
    expect(inFocus.every((l) => byPath.get(l.path)!.label === 'in_focus') && oof.every((l) => byPath.get(l.path)!.label === 'oof')).toBe(true)

    // 4. --no-restore classifies only; without it the released run is restored.
    const run2 = await json<{ frames: { restored: number; oof: number }; restoration: { noRestore: boolean } }>(['process', acq, '-w', ws, ...models(), ...layout, '--no-restore', '--quiet']);
    expect(run2.frames.oof).toBeGreaterThan(0);
    expect(run2.frames.restored).toBe(0);
    expect(run2.restoration.noRestore).toBe(true);
    const oofNow = run2.frames.oof;
    expect(oofNow).toBe(frames.filter((f) => f.oof).length);
    const run3 = await json<{ frames: { restored: number; oof: number } }>(['process', acq, '-w', ws, ...models(), ...layout, '--sampler', 'unet', '--quiet']);
    expect(run3.frames.restored).toBe(oofNow);

    // 5. The profile judges a fresh workspace from its first frame: no trip.
    const ws2 = join(tmp.dir, 'ws2');
    const run4 = await json<{ frames: { frames: number; oof: number }; restoration: { guard: { state: string }[] } }>(
      ['process', acq, '-w', ws2, ...models(), ...layout, '--profile', profile, '--no-restore', '--quiet'],
      [0, 3],
    );
    // The guard now reads the calibrated judgement of the same frames as in ws.
    expect(run4.frames.oof).toBe(oofNow);
    expect(run4.restoration.guard).toMatchObject([{ state: oofNow / run4.frames.frames > 0.4 ? 'tripped' : 'clear' }]);
    expect((await json<{ frames: Frame[] }>(['frames', ws2])).frames.every((f) => f.basis === 'calibration')).toBe(true);
    expect(snapshotTree(acq)).toEqual(before);
  });

  it('says what is wrong with a labels file', async () => {
    const ws = join(tmp.dir, 'ws');
    const bad = join(tmp.dir, 'bad.csv');
    writeFileSync(bad, 'path,label\nw000_t1.tif,blurry\n');
    const r1 = await runCli(['calibrate', ws, '--labels', bad]);
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/line 2: label must be in_focus or oof, got "blurry"/);
    writeFileSync(bad, 'path,label\nnot/a/frame.tif,oof\n');
    const r2 = await runCli(['calibrate', ws, '--labels', bad]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/1 path\(s\) of .*bad\.csv are not frames of this workspace[\s\S]*line 2: not\/a\/frame\.tif/);
    writeFileSync(bad, 'file,label\n');
    expect((await runCli(['calibrate', ws, '--labels', bad])).stderr).toMatch(/header with columns path and label/);
    expect(existsSync(join(tmp.dir, 'nothing.json'))).toBe(false);
    const r3 = await runCli(['process', acq, '-w', join(tmp.dir, 'ws3'), ...models(), ...layout, '--profile', bad, '--quiet']);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toMatch(/not a usable microscope profile|cannot read microscope profile/);
  });
});
