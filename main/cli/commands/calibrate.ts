import { splitCsvLine } from '../../common/csv.js';
import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { calibrateFromLabels, calibrationSummary, profileOf, writeProfile } from '../../pipeline/calibrate.js';
import { closeDb, DATABASE_FILE, openWorkspaceDb } from '../../store/database.js';
import { framesByPath, recordFocusLabels, type FocusLabel } from '../../store/queries/calibration.js';
import { acquireWorkspaceLock } from '../../store/workspace-lock.js';
import { booleanFlags, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus calibrate <workspace> [--labels <csv>] [--export <profile.json>] [--json]

Calibrates the focus decision to this station's microscope. The labels (ground
truth: a frame is in focus or out of focus) come from a CSV and/or from the
review app (keys I / O); the labels in force are all of them, the latest per
frame. A small logistic model on the classifier's logit p(OOF) and on the
frame's p(OOF) and focus metrics compared with its nanowell's other frames is
fitted (classes weighted equally, features and penalty chosen by
cross-validation on the labels), its cross-validated accuracy reported
(leave-one-out up to 40 labels, 10 folds above), and every
classified frame re-judged. The calibration is stored in
the workspace with who, when and the labels used, and releases a tripped
domain guard. 10–20 labels of each class are typically enough.

Options:
  --labels <csv>    CSV with a header and columns path,label: path relative to the
                    acquisition root as the station records it (see \`postfocus
                    frames\`), label in_focus or oof; a page column is used when
                    present; other columns are ignored
  --export <file>   also write a microscope profile (JSON) that later runs reuse:
                    \`postfocus process|watch|serve … --profile <file>\`
  --who <name>      who calibrates (default: the OS user)
  --json            one JSON document on stdout

The workspace must not be in use by a running station (calibrate in the app then).`;

/** Splits one CSV line (RFC 4180 quotes), fields trimmed. */
function csvFields(line: string): string[] {
  return splitCsvLine(line).map((f) => f.trim());
}

/** Parses a labels CSV into (path, page?, label) rows; errors name the file and line. */
export function parseLabelsCsv(text: string, file: string): { path: string; page?: number; label: FocusLabel; line: number }[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '').map((h) => h.toLowerCase());
  const iPath = header.indexOf('path');
  const iLabel = header.indexOf('label');
  const iPage = header.indexOf('page');
  if (iPath < 0 || iLabel < 0) throw new UsageError(`${file}: the first line must be a header with columns path and label (got "${lines[0] ?? ''}")`);
  const rows: { path: string; page?: number; label: FocusLabel; line: number }[] = [];
  lines.slice(1).forEach((raw, k) => {
    if (!raw.trim()) return;
    const f = csvFields(raw);
    const line = k + 2;
    const label = (f[iLabel] ?? '').toLowerCase();
    if (label !== 'in_focus' && label !== 'oof') throw new UsageError(`${file} line ${line}: label must be in_focus or oof, got "${f[iLabel] ?? ''}"`);
    const path = (f[iPath] ?? '').replace(/\\/g, '/').replace(/^\.\//, '');
    if (!path) throw new UsageError(`${file} line ${line}: empty path`);
    const row: { path: string; page?: number; label: FocusLabel; line: number } = { path, label, line };
    if (iPage >= 0 && (f[iPage] ?? '') !== '') {
      const page = Number(f[iPage]);
      if (!Number.isInteger(page) || page < 0) throw new UsageError(`${file} line ${line}: page must be a whole number ≥ 0, got "${f[iPage]}"`);
      row.page = page;
    }
    rows.push(row);
  });
  if (!rows.length) throw new UsageError(`${file}: no labels`);
  return rows;
}

const command: Command = {
  summary: 'calibrate the focus decision to this microscope from operator labels (and export a microscope profile)',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('labels', 'export', 'who'),
      ...booleanFlags('json'),
    });
    if (positionals.length !== 1) throw new UsageError('expected one workspace folder');
    const workspace = resolve(positionals[0]!);
    if (!existsSync(join(workspace, DATABASE_FILE))) {
      throw new Error(`no workspace at ${workspace} (no ${DATABASE_FILE})`);
    }
    const who = stringFlag(flags, 'who') ?? userInfo().username;
    const labelsFile = stringFlag(flags, 'labels');
    let labels: ReturnType<typeof parseLabelsCsv> = [];
    if (labelsFile) {
      let text: string;
      try {
        text = readFileSync(resolve(labelsFile), 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read --labels ${labelsFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
      labels = parseLabelsCsv(text, labelsFile);
    }
    const exportFile = stringFlag(flags, 'export');
    const lock = acquireWorkspaceLock(workspace, 'calibrate');
    const db = openWorkspaceDb(workspace);
    try {
      if (labels.length) {
        const unknown: string[] = [];
        const resolved: { frameId: number; label: FocusLabel }[] = [];
        for (const l of labels) {
          const frames = framesByPath(db, l.path, l.page);
          if (!frames.length) unknown.push(`line ${l.line}: ${l.path}`);
          for (const f of frames) resolved.push({ frameId: f.frameId, label: l.label });
        }
        if (unknown.length) {
          throw new Error(
            `${unknown.length} path(s) of ${labelsFile} are not frames of this workspace ` +
              `(paths are relative to the acquisition root; see \`postfocus frames ${positionals[0]}\`):\n  ${unknown.slice(0, 10).join('\n  ')}` +
              (unknown.length > 10 ? `\n  … and ${unknown.length - 10} more` : ''),
          );
        }
        recordFocusLabels(db, resolved, who, `csv ${basename(labelsFile!)}`);
      }
      const outcome = calibrateFromLabels(db, who, labelsFile ? `labels ${basename(labelsFile)}` : 'app labels');
      if (exportFile) writeProfile(resolve(exportFile), profileOf(outcome.calibration, workspace));
      const c = outcome.calibration;
      const report = {
        workspace,
        calibration: {
          id: c.id,
          who: c.who,
          at: c.at,
          source: c.source,
          classifier: { id: c.classifierId, sha256: c.classifierSha256 },
          labels: { in_focus: c.nInFocus, oof: c.nOof },
          cv_accuracy: c.cvAccuracy,
          cv_balanced_accuracy: c.cvBalancedAccuracy,
          folds: outcome.crossValidation.folds,
        },
        summary: calibrationSummary(c),
        rejudged: outcome.rejudged,
        guards_released: outcome.released,
        profile: exportFile ? resolve(exportFile) : null,
      };
      if (flags.json) console.log(JSON.stringify(report));
      else {
        console.log(`${report.summary} (balanced ${c.cvBalancedAccuracy?.toFixed(2)}, ${c.nInFocus} in focus + ${c.nOof} out of focus, cross-validated)`);
        console.log(`re-judged ${outcome.rejudged.frames} frame(s) in ${outcome.rejudged.wells} nanowell(s); ${outcome.rejudged.moved} changed between in focus and OOF`);
        if (outcome.released.length) console.log(`domain guard released on run(s) ${outcome.released.join(', ')}: automatic restoration resumes`);
        if (exportFile) console.log(`microscope profile written to ${resolve(exportFile)}`);
      }
      return ExitCode.ok;
    } finally {
      closeDb(db);
      lock.release();
    }
  },
};
export default command;
