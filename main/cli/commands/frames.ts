import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { closeDb, DATABASE_FILE, openWorkspaceDb } from '../../store/database.js';
import { iterateFrameJudgements, type FrameJudgementRow } from '../../store/queries/judgements.js';
import { listRuns } from '../../store/queries/runs.js';
import { numberFlag, parseArgs, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus frames <workspace> [--json] [--run <id>]

Lists every frame of a workspace with the focus judgement in force: its source
path (relative to the acquisition root as recorded at ingest) and page, its
nanowell (block, well, position), time point, pipeline state, the classifier's
p(OOF), the judgement \`oof\` (true/false; null while not classified) and its
basis (model, calibration or temporal). Opens the workspace read-only.

Options:
  --run <id>  only the frames of this run
  --json      one JSON document { workspace, count, frames: [...] }, keys in
              snake_case (pandas: pd.DataFrame(json.load(f)["frames"]))`;

/** Set when the reader of stdout went away (`frames ws | head`): stop writing, no error. */
let readerGone = false;

/** Writes a chunk, waiting when stdout's buffer is full (a plate can be 100k rows). */
function write(chunk: string): Promise<void> {
  if (readerGone) return Promise.resolve();
  return new Promise((done) => {
    const ok = process.stdout.write(chunk, () => undefined);
    if (ok) done();
    else {
      const finish = () => {
        process.stdout.off('drain', finish);
        process.stdout.off('error', finish);
        done();
      };
      process.stdout.once('drain', finish);
      process.stdout.once('error', finish);
    }
  });
}

function humanLine(f: FrameJudgementRow): string {
  const judged = f.oof === null ? '-' : f.oof ? 'OOF' : 'in focus';
  const p = f.p_oof === null ? '-' : f.p_oof.toFixed(3);
  return `${f.run_id}\t${f.block}/${f.well}\tt${f.t}\t${f.state}\t${p}\t${judged}\t${f.basis ?? '-'}\t${f.path}${f.page ? `#${f.page}` : ''}`;
}

const command: Command = {
  summary: 'list every frame with its p(OOF) and the focus judgement in force',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, { json: { type: 'boolean' }, run: { type: 'string' } });
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') readerGone = true;
      else throw err;
    });
    if (positionals.length !== 1) throw new UsageError('expected one workspace folder');
    const workspace = resolve(positionals[0]!);
    if (!existsSync(join(workspace, DATABASE_FILE))) {
      throw new Error(`no workspace at ${workspace} (no ${DATABASE_FILE})`);
    }
    const runId = flags.run === undefined ? undefined : numberFlag(flags, 'run', 0, { min: 1, integer: true });
    const db = openWorkspaceDb(workspace, { readonly: true });
    try {
      if (runId !== undefined && !listRuns(db).some((r) => r.id === runId)) {
        throw new Error(`workspace ${workspace} has no run ${runId}`);
      }
      let count = 0;
      if (flags.json) {
        await write(`{"workspace":${JSON.stringify(workspace)},"frames":[`);
        let batch: string[] = [];
        for (const f of iterateFrameJudgements(db, runId)) {
          if (readerGone) break;
          batch.push(JSON.stringify(f));
          count++;
          if (batch.length === 1000) {
            await write((count > 1000 ? ',' : '') + batch.join(','));
            batch = [];
          }
        }
        if (batch.length) await write((count > batch.length ? ',' : '') + batch.join(','));
        await write(`],"count":${count}}\n`);
        return ExitCode.ok;
      }
      await write('run\twell\tt\tstate\tp_oof\tjudged\tbasis\tpath\n');
      for (const f of iterateFrameJudgements(db, runId)) {
        if (readerGone) break;
        await write(humanLine(f) + '\n');
        count++;
      }
      console.error(`${count} frame(s)`);
      return ExitCode.ok;
    } finally {
      closeDb(db);
    }
  },
};
export default command;
