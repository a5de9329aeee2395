import { resolve } from 'node:path';
import { evaluateWorkspace, formatEvaluation } from '../../pipeline/evaluation.js';
import { closeDb, openWorkspaceDb } from '../../store/database.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus eval <workspace> --truth <dir> [--json] [--chart out.png]

Scores a processed workspace against the simulator's ground truth
(\`postfocus simulate <acquisition> --truth <dir>\`):
  detection    frame-level OOF accuracy, precision, recall, F1 (classifier vs truth.csv)
  restoration  PSNR, SSIM, PCC, edge-PCC of the OOF input and of the restored mean
               against the in-focus twin
  yield        usable videos per block before / after restoration (PostFocus Fig. 8)

Options:
  --truth <dir>      ground-truth folder with truth.csv and focus/
  --json             one JSON document on stdout (detection.*, restoration.input.*,
                     restoration.restored.*, yield.*)
  --chart <out.png>  bar chart of the usable-video yield per block`;

const command: Command = {
  summary: 'score a processed workspace against simulated ground truth',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, { truth: { type: 'string' }, json: { type: 'boolean' }, chart: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('expected one workspace folder');
    const truth = stringFlag(flags, 'truth');
    if (!truth) throw new UsageError('--truth <dir> is required');
    const workspace = resolve(positionals[0]!);
    const db = openWorkspaceDb(workspace, { readonly: true });
    try {
      const report = await evaluateWorkspace(db, workspace, resolve(truth));
      const chart = stringFlag(flags, 'chart');
      if (chart) {
        const { writeYieldChart } = await import('../../pipeline/yield-chart.js');
        await writeYieldChart(resolve(chart), report);
      }
      console.log(flags.json ? JSON.stringify(report) : formatEvaluation(report));
      return ExitCode.ok;
    } finally {
      closeDb(db);
    }
  },
};
export default command;
