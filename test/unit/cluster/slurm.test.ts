import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { arrayScript, mergeScript, parseJobId, shq, writeSlurmJob, type SlurmPlan } from '../../../main/cluster/slurm.js';
import { tempDir } from '../../helpers/workspace.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => (tmp = tempDir('pf-slurm-unit-')));
afterEach(() => tmp.cleanup());

/** A stand-in for postfocus that records its arguments and exits with $FAKE_RC. */
function fakePostfocus(): { program: string; args: () => string[] } {
  const program = join(tmp.dir, 'fake postfocus.sh');
  const record = join(tmp.dir, 'args.txt');
  writeFileSync(program, `#!/bin/bash\nprintf '%s\\n' "$@" > ${shq(record)}\nexit \${FAKE_RC:-0}\n`);
  chmodSync(program, 0o755);
  return { program, args: () => readFileSync(record, 'utf8').trimEnd().split('\n') };
}

function plan(over: Partial<SlurmPlan> = {}): SlurmPlan {
  return {
    acquisition: '/data/plate 7',
    out: join(tmp.dir, 'job'),
    shards: 4,
    gpusPerTask: 0,
    cpusPerTask: 2,
    program: ['postfocus'],
    processArgs: ['--sampler', 'unet'],
    ...over,
  };
}

function runScript(script: string, env: Record<string, string>) {
  const file = join(tmp.dir, 'script.sh');
  writeFileSync(file, script);
  return spawnSync('bash', [file], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
}

describe('arrayScript', () => {
  it('declares the array and the resources asked for, and nothing else', () => {
    const s = arrayScript(plan({ partition: 'gpu', gpusPerTask: 1, time: '04:00:00', mem: '16G', maxParallel: 2 }));
    expect(s).toMatch(/^#SBATCH --array=0-3%2$/m);
    expect(s).toMatch(/^#SBATCH --partition=gpu$/m);
    expect(s).toMatch(/^#SBATCH --gpus-per-task=1$/m);
    expect(s).toMatch(/^#SBATCH --time=04:00:00$/m);
    expect(s).toMatch(/^#SBATCH --mem=16G$/m);
    expect(s).toMatch(/^#SBATCH --requeue$/m);
    const bare = arrayScript(plan());
    expect(bare).not.toMatch(/--gpus-per-task|--partition|--time|--mem/);
    expect(bare).toMatch(/^#SBATCH --array=0-3$/m);
  });

  it('task i runs process --shard i/N into its own workspace (paths with spaces quoted)', () => {
    const fake = fakePostfocus();
    const p = plan({ program: [fake.program] });
    const r = runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '2' });
    expect(r.status, r.stderr).toBe(0);
    const ws = join(p.out, 'shards', 'shard-2-of-4');
    expect(fake.args()).toEqual(['process', '/data/plate 7', '--workspace', ws, '--shard', '2/4', '--quiet', '--sampler', 'unet']);
    expect(existsSync(ws)).toBe(true);
    expect(r.stdout).toMatch(/postfocus shard 2\/4 on .*, try 1, workspace /);
  });

  it('refuses to run outside a job array', () => {
    const r = runScript(arrayScript(plan({ program: [fakePostfocus().program] })), {});
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/SLURM_ARRAY_TASK_ID: this script runs as a SLURM job array task/);
  });

  it('passes failures on, except "completed with failed frames" (exit 3), which lets the merge run', () => {
    const p = plan({ program: [fakePostfocus().program] });
    expect(runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '0', FAKE_RC: '1' }).status).toBe(1);
    const three = runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '0', FAKE_RC: '3' });
    expect(three.status).toBe(0);
    expect(three.stderr).toMatch(/completed with failed frames/);
  });

  it('a requeued task removes the lock its earlier instance left (it may have died on another node)', () => {
    const p = plan({ program: [fakePostfocus().program] });
    const lock = join(p.out, 'shards', 'shard-1-of-4', 'postfocus.lock');
    mkdirSync(join(p.out, 'shards', 'shard-1-of-4'), { recursive: true });
    writeFileSync(lock, '{"pid":1,"host":"node-17","token":"x"}');
    expect(runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '1' }).status).toBe(0);
    expect(existsSync(lock), 'first try keeps a lock it did not write').toBe(true);
    const r = runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '1', SLURM_RESTART_COUNT: '1' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/try 2/);
    expect(existsSync(lock)).toBe(false);
  });
});

describe('arrayScript --scratch', () => {
  /** A stand-in that lists its workspace, adds a file to it and says where it ran. */
  function fakeWorker(): string {
    const program = join(tmp.dir, 'worker.sh');
    writeFileSync(
      program,
      `#!/bin/bash
while [ $# -gt 0 ]; do [ "$1" = --workspace ] && ws=$2; shift; done
echo "worked in $ws"; ls "$ws"; echo done > "$ws/result.txt"; exit \${FAKE_RC:-0}
`,
    );
    chmodSync(program, 0o755);
    return program;
  }

  it('works on node-local scratch from what earlier tries left, and brings the workspace back', () => {
    const p = plan({ program: [fakeWorker()], scratch: '$LOCAL_SCRATCH' });
    const shared = join(p.out, 'shards', 'shard-3-of-4');
    mkdirSync(shared, { recursive: true });
    writeFileSync(join(shared, 'earlier.txt'), 'from try 1');
    const scratch = join(tmp.dir, 'node-local');
    mkdirSync(scratch);
    const r = runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '3', LOCAL_SCRATCH: scratch });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`worked in ${scratch}/postfocus-shard-3-of-4\\.\\d+\\nearlier\\.txt`));
    expect(readFileSync(join(shared, 'result.txt'), 'utf8')).toBe('done\n');
    expect(readFileSync(join(shared, 'earlier.txt'), 'utf8')).toBe('from try 1');
    expect(readdirSync(scratch), 'scratch cleaned up').toEqual([]);
    expect(readdirSync(join(p.out, 'shards')).sort(), 'no half copies left').toEqual(['shard-3-of-4']);
  });

  it('brings the workspace back after a failure too (a requeued try resumes from it)', () => {
    const p = plan({ program: [fakeWorker()], scratch: join(tmp.dir, 'local') });
    const r = runScript(arrayScript(p), { SLURM_ARRAY_TASK_ID: '0', FAKE_RC: '1' });
    expect(r.status).toBe(1);
    expect(existsSync(join(p.out, 'shards', 'shard-0-of-4', 'result.txt'))).toBe(true);
  });
});

describe('mergeScript', () => {
  it('merges every shard workspace into <out>/merged', () => {
    const fake = fakePostfocus();
    const p = plan({ program: [fake.program] });
    const r = runScript(mergeScript(p), {});
    expect(r.status, r.stderr).toBe(0);
    expect(fake.args()).toEqual(['merge', join(p.out, 'merged'), ...[0, 1, 2, 3].map((i) => join(p.out, 'shards', `shard-${i}-of-4`))]);
  });
});

describe('writeSlurmJob', () => {
  it('writes both scripts, the logs and shards folders and the launcher', () => {
    const p = plan();
    const files = writeSlurmJob(p, { path: join(p.out, 'postfocus.mjs'), distCli: '/opt/postfocus/dist/main/cli.js' });
    expect(readFileSync(files.arrayScript, 'utf8')).toContain('#SBATCH --job-name=postfocus-shards');
    expect(readFileSync(files.mergeScript, 'utf8')).toContain('#SBATCH --job-name=postfocus-merge');
    expect(readFileSync(files.launcher!, 'utf8')).toContain('await import("/opt/postfocus/dist/main/cli.js")');
    expect(existsSync(join(p.out, 'logs'))).toBe(true);
  });
});

describe('parseJobId', () => {
  it('reads sbatch --parsable output', () => {
    expect(parseJobId('1234\n')).toBe('1234');
    expect(parseJobId('1234;cluster-a\n')).toBe('1234');
    expect(() => parseJobId('sbatch: error: Batch job submission failed')).toThrow(/no job id/);
  });
});
