/**
 * The `postfocus simulate` and `simulate-pairs` commands end to end: real
 * processes running dist/ (built by test/global-setup.ts), worker threads included.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const cli = join(process.cwd(), 'bin', 'postfocus.js');
const root = mkdtempSync(join(tmpdir(), 'pf-sim-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)).map((p) => `${e.name}/${p}`) : [e.name]));
}

describe('postfocus simulate-pairs', () => {
  it('writes float32 pairs and an index, identical across thread counts', () => {
    const a = join(root, 'pairs-a');
    const b = join(root, 'pairs-b');
    const ra = run(['simulate-pairs', a, '--n', '24', '--size', '32', '--seed', '3', '--threads', '2', '--json']);
    expect(ra.status, ra.stderr).toBe(0);
    const summary = JSON.parse(ra.stdout);
    expect(summary.count).toBe(24);
    const rb = run(['simulate-pairs', b, '--n', '24', '--size', '32', '--seed', '3', '--threads', '1', '--json']);
    expect(rb.status, rb.stderr).toBe(0);
    const index = JSON.parse(readFileSync(join(a, 'index.json'), 'utf8'));
    expect(index).toMatchObject({ version: 1, size: 32, count: 24, seed: 3, pixel_size_um: 0.325, oof_threshold_um: 5, files: { oof: 'oof.f32', focus: 'focus.f32' } });
    expect(index.items).toHaveLength(24);
    expect(Object.keys(index.items[0]).sort()).toEqual(['dz_um', 'identical', 'kind', 'oof']);
    expect(statSync(join(a, 'oof.f32')).size).toBe(24 * 32 * 32 * 4);
    expect(statSync(join(a, 'focus.f32')).size).toBe(24 * 32 * 32 * 4);
    expect(readFileSync(join(a, 'oof.f32')).equals(readFileSync(join(b, 'oof.f32')))).toBe(true);
    expect(readFileSync(join(a, 'focus.f32')).equals(readFileSync(join(b, 'focus.f32')))).toBe(true);
    const f = new Float32Array(readFileSync(join(a, 'focus.f32')).buffer.slice(0));
    expect(Math.min(...f)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...f)).toBeLessThanOrEqual(1);
    expect(walk(a).sort()).toEqual(['focus.f32', 'index.json', 'oof.f32']);
    // A second run into the same folder is refused without --force.
    const again = run(['simulate-pairs', a, '--n', '4', '--size', '32']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds pairs/);
  });
});

describe('postfocus simulate', () => {
  it('writes a TIMING acquisition with worker threads and a truth folder', () => {
    const acq = join(root, 'timing', 'acq');
    const truth = join(root, 'timing', 'truth');
    const r = run(['simulate', acq, '--truth', truth, '--blocks', '2', '--wells', '3', '--frames', '3', '--size', '64', '--preset', 'skov3', '--seed', '5', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.frames_written).toBe(18);
    const frames = walk(acq);
    expect(frames).toHaveLength(18);
    expect(frames).toContain('B2/images/crops_8bit_s/003CH0/imgNo3CH0_t3.tif');
    const csv = readFileSync(join(truth, 'truth.csv'), 'utf8').trim().split('\n');
    expect(csv[0]!.split(',').slice(0, 4)).toEqual(['path', 'dz_um', 'oof', 'focus_path']);
    expect(csv).toHaveLength(19);
    for (const line of csv.slice(1)) {
      const [path, , , focusPath] = line.split(',');
      expect(existsSync(join(acq, path!))).toBe(true);
      expect(existsSync(join(truth, focusPath!))).toBe(true);
    }
  });

  it('writes the Micro-Manager layout', () => {
    const acq = join(root, 'mm', 'acq');
    const r = run(['simulate', acq, '--truth', join(root, 'mm', 'truth'), '--blocks', '1', '--wells', '2', '--frames', '2', '--size', '32', '--layout', 'micromanager', '--bits', '16']);
    expect(r.status, r.stderr).toBe(0);
    expect(walk(acq).sort()).toEqual([
      'Pos000/img_channel000_position000_time000000000_z000.tif',
      'Pos000/img_channel000_position000_time000000001_z000.tif',
      'Pos001/img_channel000_position001_time000000000_z000.tif',
      'Pos001/img_channel000_position001_time000000001_z000.tif',
    ]);
  });

  it('refuses bad arguments with exit code 2 and writes nothing', () => {
    const base = join(root, 'bad');
    const cases: [string[], RegExp][] = [
      [['--rate', '-3'], /--rate must be a positive/],
      [['--layout', 'zeiss'], /unknown layout "zeiss"/],
      [['--preset', 'hela'], /unknown preset "hela"/],
      [['--bits', '12'], /--bits must be 8 or 16/],
    ];
    for (const [extra, message] of cases) {
      const r = run(['simulate', join(base, 'acq'), '--truth', join(base, 'truth'), '--frames', '1', '--wells', '1', ...extra]);
      expect(r.status, extra.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const inside = run(['simulate', join(base, 'acq'), '--truth', join(base, 'acq', 'truth')]);
    expect(inside.status).toBe(2);
    expect(inside.stderr).toMatch(/inside the acquisition folder/);
    const noTruth = run(['simulate', join(base, 'acq')]);
    expect(noTruth.status).toBe(2);
    expect(existsSync(base)).toBe(false);
    mkdirSync(join(base, 'acq'), { recursive: true });
    spawnSync('touch', [join(base, 'acq', 'keep.tif')]);
    const full = run(['simulate', join(base, 'acq'), '--truth', join(base, 'truth'), '--frames', '1', '--wells', '1']);
    expect(full.status).toBe(2);
    expect(full.stderr).toMatch(/is not empty/);
    expect(walk(join(base, 'acq'))).toEqual(['keep.tif']);
    expect(existsSync(join(base, 'truth'))).toBe(false);
  });

  it('writes live at the requested rate, files appearing one after another in t-major order', async () => {
    const acq = join(root, 'live', 'acq');
    const truth = join(root, 'live', 'truth');
    const child = spawn(process.execPath, [cli, 'simulate', acq, '--truth', truth, '--blocks', '1', '--wells', '2', '--frames', '3', '--size', '64', '--rate', '4', '--json']);
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Sample the folder while it is written: the set of files only grows, in write order.
    const seen: number[] = [];
    const poll = setInterval(() => seen.push(walk(acq).length), 50);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearInterval(poll);
    expect(code).toBe(0);
    const s = JSON.parse(stdout);
    expect(s.requested_rate).toBe(4);
    expect(s.frames_written).toBe(6);
    // Intermediate states were observed (not all files at once) and counts never decreased.
    expect(new Set(seen).size).toBeGreaterThan(2);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    const rows = readFileSync(join(truth, 'truth.csv'), 'utf8').trim().split('\n').slice(1);
    expect(rows.map((l) => l.split(',')[0])).toEqual([
      'B1/images/crops_8bit_s/001CH0/imgNo1CH0_t1.tif',
      'B1/images/crops_8bit_s/002CH0/imgNo2CH0_t1.tif',
      'B1/images/crops_8bit_s/001CH0/imgNo1CH0_t2.tif',
      'B1/images/crops_8bit_s/002CH0/imgNo2CH0_t2.tif',
      'B1/images/crops_8bit_s/001CH0/imgNo1CH0_t3.tif',
      'B1/images/crops_8bit_s/002CH0/imgNo2CH0_t3.tif',
    ]);
  });
});
