/**
 * SLURM job array for sharded processing: task i of an N-task array runs
 * `postfocus process <acq> --shard i/N` into its own workspace folder
 * (<out>/shards/shard-i-of-N: one SQLite per shard, never one database opened
 * by several nodes), and a merge job that depends on the whole array
 * (`--dependency=afterok:<array>`) builds <out>/merged. SLURM is the scheduler;
 * nothing here schedules.
 *
 * A failed or requeued task (`scontrol requeue`) simply runs `process` again on
 * its own workspace, which resumes from its database: nothing is done twice.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface SlurmPlan {
  /** Acquisition folder (absolute; the same path on every node: a shared file system). */
  acquisition: string;
  /** Job folder (absolute, shared): scripts, logs, shard workspaces, the merged workspace. */
  out: string;
  shards: number;
  partition?: string;
  account?: string;
  /** GPUs per task (0: none requested). */
  gpusPerTask: number;
  cpusPerTask: number;
  /** Memory per task, SLURM syntax (e.g. 8G). */
  mem?: string;
  /** Time limit per task, SLURM syntax (e.g. 02:00:00). */
  time?: string;
  /** Most tasks running at once (`--array=0-N%max`). */
  maxParallel?: number;
  /** Command that runs postfocus on a node (argv, e.g. [node, <out>/postfocus.mjs] or ['postfocus']). */
  program: string[];
  /** Extra arguments for `postfocus process` (--models, --sampler, ...). */
  processArgs: string[];
  /**
   * Node-local folder where a task keeps its workspace while it runs (e.g. `$TMPDIR`,
   * expanded on the node), copied back to the shared folder at the end; default:
   * the task works in its shared folder directly.
   */
  scratch?: string;
}

export interface SlurmFiles {
  arrayScript: string;
  mergeScript: string;
  /** Launcher of this install's build, when the plan uses one. */
  launcher: string | null;
}

/** Shell single-quoting. */
export function shq(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Workspace folder of shard i of n under the job folder. */
export function shardWorkspace(out: string, index: number, count: number): string {
  return join(out, 'shards', `shard-${index}-of-${count}`);
}

export function mergedWorkspace(out: string): string {
  return join(out, 'merged');
}

function directives(plan: SlurmPlan, name: string, extra: string[]): string[] {
  const d = [`#SBATCH --job-name=${name}`, ...extra];
  if (plan.partition) d.push(`#SBATCH --partition=${plan.partition}`);
  if (plan.account) d.push(`#SBATCH --account=${plan.account}`);
  return d;
}

/** Copies the shard workspace (what earlier tries brought back) to node-local scratch. */
function scratchIn(scratch: string, n: number): string {
  return `# The database lives on this node's disk while the task runs (SQLite's WAL wants one host
# and a local file system); the shared folder gets it back when the task ends.
work="${scratch}/postfocus-shard-$i-of-${n}.$$"
rm -rf "$work" && mkdir -p "$work" && cp -a "$ws/." "$work/" && rm -f "$work/postfocus.lock" || exit 1
`;
}

/** Brings the scratch workspace back in one rename (a merge never reads half a copy). */
const SCRATCH_OUT = `rm -rf "$ws.incoming" "$ws.previous" && mkdir -p "$ws.incoming" && cp -a "$work/." "$ws.incoming/" &&
  mv "$ws" "$ws.previous" && mv "$ws.incoming" "$ws" && rm -rf "$ws.previous" "$work" ||
  { echo "shard $i: could not copy $work back to $ws" >&2; exit 1; }
`;

/** Characters allowed in --scratch: a path, or an environment variable the node expands ($TMPDIR). */
export const SCRATCH_PATTERN = /^[A-Za-z0-9_./${}-]+$/;

/** The job-array script: task i processes shard i/N. */
export function arrayScript(plan: SlurmPlan): string {
  const n = plan.shards;
  const extra = [
    `#SBATCH --array=0-${n - 1}${plan.maxParallel ? `%${plan.maxParallel}` : ''}`,
    `#SBATCH --output=${join(plan.out, 'logs', 'shard-%a-of-' + n + '.log')}`,
    // A requeued task appends to its log instead of overwriting what the first try said.
    '#SBATCH --open-mode=append',
    '#SBATCH --requeue',
    `#SBATCH --ntasks=1`,
    `#SBATCH --cpus-per-task=${plan.cpusPerTask}`,
  ];
  if (plan.gpusPerTask > 0) extra.push(`#SBATCH --gpus-per-task=${plan.gpusPerTask}`);
  if (plan.mem) extra.push(`#SBATCH --mem=${plan.mem}`);
  if (plan.time) extra.push(`#SBATCH --time=${plan.time}`);
  const ws = `${shq(join(plan.out, 'shards'))}/shard-$i-of-${n}`;
  return `#!/bin/bash
${directives(plan, 'postfocus-shards', extra).join('\n')}
# Written by \`postfocus cluster slurm\`: task i processes shard i/${n} of
# ${plan.acquisition}
# into its own workspace (one SQLite per shard, never shared between nodes).
set -uo pipefail
i=\${SLURM_ARRAY_TASK_ID:?this script runs as a SLURM job array task}
ws=${ws}
mkdir -p "$ws"
echo "postfocus shard $i/${n} on $(hostname), try $(( \${SLURM_RESTART_COUNT:-0} + 1 )), workspace $ws"
# SLURM runs one instance of a task at a time: a requeued task's earlier instance is
# gone, possibly on another node, whose workspace lock is never broken automatically.
if [ "\${SLURM_RESTART_COUNT:-0}" -gt 0 ]; then rm -f "$ws/postfocus.lock"; fi
${plan.scratch ? scratchIn(plan.scratch, n) : 'work="$ws"\n'}# Let a stop request (scancel, time limit) reach postfocus, which stops in order, and carry on after it.
trap 'echo "shard $i/${n}: stop requested" >&2' TERM
${plan.program.map(shq).join(' ')} process ${shq(plan.acquisition)} --workspace "$work" --shard "$i/${n}" --quiet${plan.processArgs.length ? ' ' + plan.processArgs.map(shq).join(' ') : ''}
rc=$?
${plan.scratch ? SCRATCH_OUT : ''}# 3: done, but some frames failed (recorded in the workspace): the merge still runs.
if [ $rc -eq 3 ]; then echo "shard $i/${n}: completed with failed frames (postfocus status $ws)" >&2; exit 0; fi
exit $rc
`;
}

/** The merge job, run after every array task ended well. */
export function mergeScript(plan: SlurmPlan): string {
  const shardDirs = Array.from({ length: plan.shards }, (_, i) => shq(shardWorkspace(plan.out, i, plan.shards)));
  const extra = [`#SBATCH --output=${join(plan.out, 'logs', 'merge.log')}`, '#SBATCH --open-mode=append', '#SBATCH --ntasks=1', '#SBATCH --cpus-per-task=1'];
  if (plan.time) extra.push(`#SBATCH --time=${plan.time}`);
  return `#!/bin/bash
${directives(plan, 'postfocus-merge', extra).join('\n')}
# Written by \`postfocus cluster slurm\`: merges the ${plan.shards} shard workspaces into
# ${mergedWorkspace(plan.out)} (idempotent: running it again adds nothing).
set -euo pipefail
exec ${plan.program.map(shq).join(' ')} merge ${shq(mergedWorkspace(plan.out))} \\
  ${shardDirs.join(' \\\n  ')}
`;
}

/**
 * A launcher that runs this install's built CLI (dist/) directly: tasks never
 * rebuild it on demand (many tasks rebuilding one shared dist/ at once would race).
 */
export function launcherScript(distCli: string): string {
  return `// Written by \`postfocus cluster slurm\`: runs this install's built postfocus CLI without rebuilding it.
const { main } = await import(${JSON.stringify(distCli)});
process.exitCode = await main(process.argv.slice(2));
`;
}

/** Writes the scripts (and the launcher, when given) under plan.out; creates logs/ and shards/. */
export function writeSlurmJob(plan: SlurmPlan, launcher: { path: string; distCli: string } | null): SlurmFiles {
  const out = resolve(plan.out);
  mkdirSync(join(out, 'logs'), { recursive: true });
  mkdirSync(join(out, 'shards'), { recursive: true });
  if (launcher) writeFileSync(launcher.path, launcherScript(launcher.distCli));
  const files = { arrayScript: join(out, 'postfocus-shards.sbatch'), mergeScript: join(out, 'postfocus-merge.sbatch'), launcher: launcher?.path ?? null };
  writeFileSync(files.arrayScript, arrayScript(plan));
  writeFileSync(files.mergeScript, mergeScript(plan));
  chmodSync(files.arrayScript, 0o755);
  chmodSync(files.mergeScript, 0o755);
  return files;
}

/** The sbatch command lines that submit the job (the merge's dependency filled in at submission). */
export function submitCommands(files: SlurmFiles): string[] {
  return [`sbatch --parsable ${shq(files.arrayScript)}`, `sbatch --parsable --dependency=afterok:<array job id> ${shq(files.mergeScript)}`];
}

/** Job id from `sbatch --parsable` output ("<id>" or "<id>;<cluster>"). */
export function parseJobId(stdout: string): string {
  const id = stdout.trim().split(';')[0] ?? '';
  if (!/^\d+$/.test(id)) throw new Error(`sbatch printed no job id: "${stdout.trim()}"`);
  return id;
}

function sbatch(args: string[]): string {
  const r = spawnSync('sbatch', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run sbatch (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}): is this a SLURM login node?`);
  if (r.status !== 0) throw new Error(`sbatch ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  return parseJobId(r.stdout);
}

/** Submits the array, then the merge with `--dependency=afterok:<array>`; returns both job ids. */
export function submitSlurmJob(files: SlurmFiles): { arrayJobId: string; mergeJobId: string } {
  const arrayJobId = sbatch(['--parsable', files.arrayScript]);
  const mergeJobId = sbatch(['--parsable', `--dependency=afterok:${arrayJobId}`, files.mergeScript]);
  return { arrayJobId, mergeJobId };
}
