import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MAX_SHARDS } from '../../common/shard.js';
import { mergedWorkspace, SCRATCH_PATTERN, shardWorkspace, submitCommands, submitSlurmJob, writeSlurmJob, type SlurmPlan } from '../../cluster/slurm.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus cluster slurm <acquisition> --shards N --out <folder> [options] [-- <process options>]

Writes a SLURM job array that processes the acquisition in N shards, one
workspace per shard (task i runs \`postfocus process --shard i/N\` from
SLURM_ARRAY_TASK_ID into <out>/shards/shard-i-of-N), and a merge job that runs
when every task has ended well (--dependency=afterok) and builds <out>/merged.
Prints what it will run; --submit submits both with sbatch.

The acquisition and <out> must be on a file system every node sees at the same
path. A failed or requeued task (scontrol requeue) resumes from its own
workspace database. Kubernetes: see deploy/k8s/indexed-job.yaml.

Options:
  --shards N             number of shards (array tasks)
  --out <folder>         job folder: scripts, logs/, shards/, merged/
  --partition P          SLURM partition
  --account A            SLURM account
  --gpus-per-task G      GPUs per task (default 0: none requested)
  --cpus-per-task C      CPUs per task (default 2)
  --mem M                memory per task (e.g. 8G)
  --time T               time limit per task (e.g. 04:00:00)
  --max-parallel K       at most K tasks at once (--array=0-(N-1)%K)
  --scratch <dir>        node-local folder for a task's workspace while it runs, copied
                         back to <out>/shards when it ends (e.g. '$TMPDIR', expanded on
                         the node); default: tasks work in their shared folders
  --postfocus <command>  how nodes run postfocus (default: this install, through a
                         launcher written to <out>/postfocus.mjs)
  --submit               submit with sbatch --parsable (the merge depends on the array)
  --json                 print the plan (and job ids) as one JSON document
  -- <options>           passed to \`postfocus process\` (e.g. -- --sampler unet --models DIR)`;

const command: Command = {
  summary: 'write (and submit) a SLURM job array that processes an acquisition in shards, then merges them',
  help,
  async run(argv) {
    const dash = argv.indexOf('--');
    const own = dash >= 0 ? argv.slice(0, dash) : argv;
    const processArgs = dash >= 0 ? argv.slice(dash + 1) : [];
    const { positionals, flags } = parseArgs(own, {
      ...stringFlags('shards', 'out', 'partition', 'account', 'gpus-per-task', 'cpus-per-task', 'mem', 'time', 'max-parallel', 'scratch', 'postfocus'),
      ...booleanFlags('submit', 'json'),
    });
    const [engine, acquisition, ...rest] = positionals;
    if (engine !== 'slurm') throw new UsageError(engine ? `unknown engine "${engine}" (slurm; for Kubernetes see deploy/k8s/indexed-job.yaml)` : 'expected: cluster slurm <acquisition>');
    if (!acquisition || rest.length) throw new UsageError('expected one acquisition folder');
    if (flags.shards === undefined) throw new UsageError('--shards is required');
    const outArg = stringFlag(flags, 'out');
    if (!outArg) throw new UsageError('--out is required');
    for (const a of processArgs) {
      if (/^--(workspace|shard)\b|^-w$/.test(a)) throw new UsageError(`${a} is set per task; do not pass it to process`);
    }
    const acq = resolve(acquisition);
    if (!existsSync(acq)) throw new UsageError(`acquisition folder ${acq} does not exist`);
    const out = resolve(outArg);
    if (out === acq || out.startsWith(acq + '/')) throw new UsageError(`--out must not be inside the acquisition folder (it is never written)`);
    const postfocus = stringFlag(flags, 'postfocus');
    let launcher: { path: string; distCli: string } | null = null;
    if (!postfocus) {
      const distCli = resolve(dirname(process.argv[1] ?? '.'), '../dist/main/cli.js');
      if (!existsSync(distCli)) throw new UsageError(`cannot find this install's build (${distCli}); pass --postfocus <command>`);
      launcher = { path: join(out, 'postfocus.mjs'), distCli };
    }
    const time = stringFlag(flags, 'time');
    const mem = stringFlag(flags, 'mem');
    const partition = stringFlag(flags, 'partition');
    const account = stringFlag(flags, 'account');
    const scratch = stringFlag(flags, 'scratch');
    if (scratch !== undefined && !SCRATCH_PATTERN.test(scratch)) {
      throw new UsageError(`--scratch "${scratch}": a folder path or an environment variable such as '$TMPDIR' (letters, digits, _ . / - $ { })`);
    }
    const maxParallel = numberFlag(flags, 'max-parallel', 0, { min: 1, max: MAX_SHARDS, integer: true });
    const plan: SlurmPlan = {
      acquisition: acq,
      out,
      shards: numberFlag(flags, 'shards', 1, { min: 1, max: MAX_SHARDS, integer: true }),
      gpusPerTask: numberFlag(flags, 'gpus-per-task', 0, { min: 0, max: 64, integer: true }),
      cpusPerTask: numberFlag(flags, 'cpus-per-task', 2, { min: 1, max: 1024, integer: true }),
      program: launcher ? [process.execPath, launcher.path] : postfocus!.split(/\s+/).filter(Boolean),
      processArgs,
      ...(time ? { time } : {}),
      ...(mem ? { mem } : {}),
      ...(partition ? { partition } : {}),
      ...(account ? { account } : {}),
      ...(maxParallel ? { maxParallel } : {}),
      ...(scratch ? { scratch } : {}),
    };
    for (const [name, v] of [['time', time], ['mem', mem], ['partition', partition], ['account', account]] as const) {
      if (v !== undefined && !/^[A-Za-z0-9_.:,@+-]+$/.test(v)) throw new UsageError(`--${name} "${v}" has characters SLURM does not take`);
    }
    const files = writeSlurmJob(plan, launcher);
    const summary: Record<string, unknown> = {
      acquisition: acq,
      out,
      shards: plan.shards,
      arrayScript: files.arrayScript,
      mergeScript: files.mergeScript,
      shardWorkspaces: [shardWorkspace(out, 0, plan.shards), `…`, shardWorkspace(out, plan.shards - 1, plan.shards)],
      mergedWorkspace: mergedWorkspace(out),
      commands: submitCommands(files),
    };
    if (flags.submit) Object.assign(summary, submitSlurmJob(files));
    if (flags.json) console.log(JSON.stringify(summary));
    else {
      console.log(`wrote ${files.arrayScript} (${plan.shards} task(s): postfocus process --shard i/${plan.shards})`);
      console.log(`wrote ${files.mergeScript} (postfocus merge → ${mergedWorkspace(out)})`);
      const program = plan.program.join(' ');
      console.log(
        `task i (SLURM_ARRAY_TASK_ID) runs: ${program} process ${acq} --workspace ${join(out, 'shards')}/shard-i-of-${plan.shards} ` +
          `--shard i/${plan.shards} --quiet${processArgs.length ? ' ' + processArgs.join(' ') : ''}`,
      );
      console.log(`then (afterok): ${program} merge ${mergedWorkspace(out)} ${shardWorkspace(out, 0, plan.shards)} … ${shardWorkspace(out, plan.shards - 1, plan.shards)}`);
      if (flags.submit) console.log(`submitted: array job ${summary.arrayJobId}, merge job ${summary.mergeJobId} (afterok:${summary.arrayJobId})`);
      else for (const c of submitCommands(files)) console.log(`to run: ${c}`);
    }
    return ExitCode.ok;
  },
};
export default command;
