/**
 * A real SLURM cluster (Debian's slurm-wlm + munge, one node: this machine,
 * started by scripts/slurm-local.sh) runs `postfocus cluster slurm --submit`:
 * a 4-task job array over a simulated acquisition plus the dependent merge job.
 * The merged workspace must hold what one process of the whole acquisition
 * gives; a requeued task must resume from its own database without duplicates.
 * Skipped, with the reason printed, where SLURM cannot start.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { expectSameAsSingleRun, rowCounts } from '../helpers/shards.js';
import { tempDir } from '../helpers/workspace.js';

const SLURM_LOCAL = join(REPO_ROOT, 'scripts/slurm-local.sh');
const RESTORE = ['--sampler', 'ddim', '--steps', '2', '--ensemble', '2', '--threads', '1'];
const SHARDS = 4;

const tmp = tempDir('pf-slurm-');
const at = (name: string) => join(tmp.dir, name);
const clusterDir = at('cluster');

/** Starts the one-node cluster; returns SLURM_CONF, or why it cannot run here. */
function startCluster(): { env: NodeJS.ProcessEnv } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'the local SLURM cluster needs Linux' };
  for (const bin of ['munged', 'slurmctld', 'slurmd', 'sbatch', 'scontrol']) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) return { skip: `${bin} is not installed (apt-get install slurm-wlm munge)` };
  }
  if (process.getuid?.() !== 0) return { skip: 'slurmd must run as root to start jobs; run the tests as root (CI does)' };
  const r = spawnSync('bash', [SLURM_LOCAL, 'start', clusterDir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { skip: `the one-node SLURM cluster did not start: ${(r.stderr || r.stdout).trim().split('\n').slice(-6).join(' | ')}` };
  return { env: { ...process.env, SLURM_CONF: join(clusterDir, 'slurm.conf') } };
}

const cluster = startCluster();
const skip = 'skip' in cluster ? cluster.skip : null;
if (skip) console.warn(`SLURM integration test skipped: ${skip}`);
const env = 'env' in cluster ? cluster.env : process.env;

afterAll(() => {
  spawnSync('bash', [SLURM_LOCAL, 'stop', clusterDir]);
  tmp.cleanup();
});

function slurm(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** JobState (and Restarts) of a job or array task, from `scontrol show job -o`. */
function jobState(id: string): { state: string; reason: string; restarts: number }[] {
  return slurm('scontrol', ['show', 'job', '-o', id])
    .trim()
    .split('\n')
    .map((line) => ({
      state: /JobState=(\S+)/.exec(line)?.[1] ?? '?',
      reason: /Reason=(\S+)/.exec(line)?.[1] ?? '?',
      restarts: Number(/Restarts=(\d+)/.exec(line)?.[1] ?? 0),
    }));
}

const FINAL = ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'NODE_FAIL', 'OUT_OF_MEMORY', 'BOOT_FAIL', 'DEADLINE', 'PREEMPTED'];

/** Waits until every job of `id` is in a final state (or `done` says so); returns the states. */
async function waitFor(id: string, done: (s: ReturnType<typeof jobState>) => boolean, what: string, limitMs = 480_000) {
  const until = Date.now() + limitMs;
  for (;;) {
    const states = jobState(id);
    if (done(states)) return states;
    if (states.some((s) => s.reason === 'DependencyNeverSatisfied')) throw new Error(`${what}: dependency never satisfied (${JSON.stringify(states)})\n${logs()}`);
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(states)} after ${limitMs / 1000} s\n${logs()}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function logs(): string {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8').slice(-2000);
    } catch {
      return '(none)';
    }
  };
  const parts = Array.from({ length: SHARDS }, (_, i) => `--- shard ${i}\n${read(join(at('job'), 'logs', `shard-${i}-of-${SHARDS}.log`))}`);
  return [...parts, `--- merge\n${read(join(at('job'), 'logs', 'merge.log'))}`].join('\n');
}

async function cli(args: string[]): Promise<string> {
  const r = await runCli(args, { env });
  if (r.code !== 0) throw new Error(`postfocus ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

describe.skipIf(skip !== null)('SLURM job array on a one-node cluster', () => {
  let arrayJobId = '';
  let mergeJobId = '';

  it('the node is idle', () => {
    expect(slurm('sinfo', ['-h', '-N', '-o', '%T']).trim()).toBe('idle');
  });

  it('runs 4 shard tasks and the dependent merge; the merged workspace equals a single-process run', async () => {
    await cli(['simulate', at('acq'), '--truth', at('truth'), '--blocks', '1', '--wells', '12', '--frames', '6', '--size', '96', '--preset', 'nalm6', '--seed', '3', '--threads', '1']);
    const submitted = JSON.parse(
      // Tasks keep their databases on "node-local" scratch and bring them back when they end.
      await cli(['cluster', 'slurm', at('acq'), '--shards', String(SHARDS), '--out', at('job'), '--cpus-per-task', '1', '--scratch', at('node-local'), '--submit', '--json', '--', ...RESTORE]),
    );
    arrayJobId = submitted.arrayJobId;
    mergeJobId = submitted.mergeJobId;
    expect(arrayJobId).toMatch(/^\d+$/);
    expect(readFileSync(submitted.arrayScript, 'utf8')).toContain(`--array=0-${SHARDS - 1}`);
    // The reference, while the cluster works.
    const single = cli(['process', at('acq'), '-w', at('single'), ...RESTORE, '--quiet']);
    const merge = await waitFor(mergeJobId, (s) => s.every((j) => FINAL.includes(j.state)), 'merge job');
    await single;
    expect(merge[0]!.state, logs()).toBe('COMPLETED');
    const tasks = jobState(arrayJobId);
    expect(tasks.map((t) => t.state)).toEqual(Array(SHARDS).fill('COMPLETED'));
    expect(readFileSync(join(at('job'), 'logs', 'merge.log'), 'utf8')).toMatch(/shards merged 4\/4/);
    expect(readdirSync(at('node-local')), 'scratch copies removed').toEqual([]);
    await expectSameAsSingleRun(join(at('job'), 'merged'), at('single'));
  }, 600_000);

  it('a requeued task resumes from its own database: nothing duplicated, the re-merge adds nothing', async () => {
    expect(mergeJobId, 'the job array ran').not.toBe('');
    // The shard with the most frames, so the resumed task has something it could have redone.
    const shards = Array.from({ length: SHARDS }, (_, i) => ({ i, ws: join(at('job'), 'shards', `shard-${i}-of-${SHARDS}`) }));
    const { i, ws } = shards.map((s) => ({ ...s, n: rowCounts(s.ws).frame ?? 0 })).sort((a, b) => b.n - a.n)[0]!;
    const before = rowCounts(ws);
    const task = `${arrayJobId}_${i}`;
    slurm('scontrol', ['requeue', task]);
    // A requeued job waits for a begin time (about two minutes); let it start now.
    slurm('scontrol', ['update', `JobId=${task}`, 'StartTime=now']);
    const [after] = await waitFor(task, (s) => s[0]!.restarts >= 1 && FINAL.includes(s[0]!.state), 'requeued task', 240_000);
    expect(after!.state, logs()).toBe('COMPLETED');
    expect(readFileSync(join(at('job'), 'logs', `shard-${i}-of-${SHARDS}.log`), 'utf8')).toMatch(new RegExp(`shard ${i}/${SHARDS} on .*, try 2`));
    expect(rowCounts(ws)).toEqual(before);
    const again = JSON.parse(await cli(['merge', join(at('job'), 'merged'), ...shards.map((s) => s.ws), '--json', '--quiet']));
    for (const s of again.shards) expect(Object.values(s.added).every((n) => n === 0), `${s.workspace}: ${JSON.stringify(s.added)}`).toBe(true);
    await expectSameAsSingleRun(join(at('job'), 'merged'), at('single'));
  }, 300_000);
});
