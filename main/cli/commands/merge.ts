import { mergeWorkspaces } from '../../store/merge.js';
import { parseArgs, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus merge <merged-workspace> <shard-workspace>... [options]

Builds one workspace from the workspaces of \`postfocus process --shard i/N\`:
runs, nanowells, frames, classifications, judgements, restorations (derived
files copied), attempts, errors, decisions, focus labels and calibrations, ids
remapped. Review, export and eval then work on it as on a single run.

Merging the same shard again adds nothing (a resumed shard adds what it did
since); a late shard can be added to an existing merge. Refused, nothing
written, naming what differs: shards of another acquisition or partition, a
shard already merged from another processing of it, different models, sampler
settings or microscope calibrations, a shard still being processed.

Options:
  --json     print the merge report as one JSON document on stdout
  --quiet    no per-shard lines on stderr

Exit codes: 0 merged (every shard), 1 refused or failed, 2 usage,
3 merged but shards of the partition are still missing.`;

const command: Command = {
  summary: 'merge shard workspaces (process --shard i/N) into one workspace',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, { json: { type: 'boolean' }, quiet: { type: 'boolean' } });
    if (positionals.length < 2) throw new UsageError('expected the merged workspace and at least one shard workspace');
    const [output, ...shards] = positionals as [string, ...string[]];
    const report = mergeWorkspaces(output, shards, (m) => {
      if (!flags.quiet) console.error(m);
    });
    const { count, merged, missing } = report.coverage;
    if (flags.json) console.log(JSON.stringify(report));
    else {
      console.log(
        `${report.output}: ${report.frames} frame(s) of ${report.root}; shards merged ${merged.length}/${count}` +
          (missing.length ? ` (missing: ${missing.map((i) => `${i}/${count}`).join(', ')})` : '') +
          ` [${(report.durationMs / 1000).toFixed(1)} s]`,
      );
    }
    return missing.length ? ExitCode.completedWithErrors : ExitCode.ok;
  },
};
export default command;
