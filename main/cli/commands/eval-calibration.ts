import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { evaluateCalibration } from '../../pipeline/calibrate.js';
import { closeDb, DATABASE_FILE, openWorkspaceDb } from '../../store/database.js';
import { framesByPath } from '../../store/queries/calibration.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';
import { parseLabelsCsv } from './calibrate.js';

const help = `Usage: postfocus eval-calibration <workspace> --truth <csv> [options]

Measures how well calibration works on a microscope: the workspace's frames
are classified, the CSV gives every frame's truth (columns path,label as for
\`postfocus calibrate\`). Each repeat draws --per-class labels of each class at
random (seeded), fits a calibration on them and scores its balanced accuracy
on all other frames. Also prints the balanced accuracy of the model alone and
of the temporal rule. Read-only: no calibration is stored.

Options:
  --truth <csv>       path,label for the frames (in_focus | oof)
  --per-class <n>     labels drawn per class (default 20)
  --repeats <n>       draws (default 20)
  --seed <n>          seed of the draws (default 1)
  --json              one JSON document on stdout`;

const command: Command = {
  summary: 'measure calibration with a few labels per class against known truth (read-only)',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('truth', 'per-class', 'repeats', 'seed'),
      ...booleanFlags('json'),
    });
    if (positionals.length !== 1) throw new UsageError('expected one workspace folder');
    const truthFile = stringFlag(flags, 'truth');
    if (!truthFile) throw new UsageError('--truth <csv> is required');
    const perClass = numberFlag(flags, 'per-class', 20, { min: 3, max: 10_000, integer: true });
    const repeats = numberFlag(flags, 'repeats', 20, { min: 1, max: 1000, integer: true });
    const seed = numberFlag(flags, 'seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true });
    const workspace = resolve(positionals[0]!);
    if (!existsSync(join(workspace, DATABASE_FILE))) throw new Error(`no workspace at ${workspace} (no ${DATABASE_FILE})`);
    let text: string;
    try {
      text = readFileSync(resolve(truthFile), 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --truth ${truthFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const rows = parseLabelsCsv(text, truthFile);
    const db = openWorkspaceDb(workspace, { readonly: true });
    try {
      const truth = new Map<number, boolean>();
      for (const r of rows) for (const f of framesByPath(db, r.path, r.page)) truth.set(f.frameId, r.label === 'oof');
      const e = evaluateCalibration(db, truth, perClass, repeats, seed);
      if (flags.json) console.log(JSON.stringify({ workspace, truth: resolve(truthFile), seed, ...e }));
      else {
        const f = (x: number) => x.toFixed(3);
        console.log(`${e.frames} frames with truth (${e.oof} OOF); balanced accuracy: model ${f(e.modelBalancedAccuracy)}, temporal rule ${f(e.temporalBalancedAccuracy)}; AUC of p(OOF) ${f(e.modelAuc)}`);
        console.log(
          `calibrated on ${e.perClass} labels per class (${e.repeats} draws, seed ${seed}), on the other frames: ` +
            `mean ${f(e.calibrated.mean)} ± ${f(e.calibrated.sd)} (sd), min ${f(e.calibrated.min)}, median ${f(e.calibrated.median)}, max ${f(e.calibrated.max)}; ` +
            `cross-validated on the labels ${f(e.crossValidatedMean)}; ${e.keptUncalibrated} of ${e.repeats} draws kept the uncalibrated judgement`,
        );
      }
      return ExitCode.ok;
    } finally {
      closeDb(db);
    }
  },
};
export default command;
