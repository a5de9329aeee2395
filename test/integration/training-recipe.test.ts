/**
 * The Python training recipe's smoke tests (models/training/tests): a few steps of every
 * stage on tiny stand-in pairs, exact replay of step-based runs, the student export.
 * Runs where /usr/bin/python3 (or $PYTHON) has torch, onnx and scipy — Debian's
 * python3-torch / python3-onnx / python3-scipy — and is skipped with the reason otherwise.
 * The minute-long run is awaited, not spawned synchronously: a test worker whose event loop
 * is blocked for over 60 s misses vitest's own RPC deadline and fails the whole run.
 */
import { execFile, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PY = process.env.PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(PY, ['-c', 'import torch, onnx, scipy'], { encoding: 'utf8' });
const missing = probe.error ? `${PY} not found` : probe.status !== 0 ? `${PY} lacks torch / onnx / scipy` : null;
if (missing) console.log(`skipping the training-recipe smoke tests: ${missing}`);

describe.skipIf(missing !== null)('training recipe smoke tests (Python)', () => {
  it('python3 -m unittest models/training/tests passes', async () => {
    const r = await promisify(execFile)(PY, ['-m', 'unittest', 'discover', '-s', 'tests', '-v'], {
      cwd: resolve('models/training'),
      encoding: 'utf8',
      timeout: 600_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, OMP_NUM_THREADS: '1' },
    }).then(
      ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
      (err: { code?: number | string; stdout?: string; stderr?: string; message: string }) => ({ status: err.code ?? 'failed', stdout: err.stdout ?? '', stderr: `${err.stderr ?? ''}\n${err.message}` }),
    );
    expect(r.status, `${r.stdout}\n${r.stderr}`.slice(-4000)).toBe(0);
  }, 660_000);
});
