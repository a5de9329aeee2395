import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ExportPolicy } from '../../common/domain.js';
import { DESTINATION_EXISTS, ExportRefusedError } from '../../export/destination.js';
import { exportDataset, type ExportProgress } from '../../export/export.js';
import { EXPORT_INCLUDES, EXPORT_LAYOUTS, normalizeExportPolicy, POLICY_HELP } from '../../common/export-policy.js';
import { DEFAULT_TRAINING_SIZE } from '../../export/training-pack.js';
import { assertWorkspaceFolder, closeDb, DATABASE_FILE, isWorkspaceWritable, openWorkspaceDb } from '../../store/database.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';
import { formatDuration, progressBar, ProgressLine } from '../progress.js';

const HELP = `Usage: postfocus export <workspace> <destination> [options]

Exports a curated dataset of the workspace: one TIFF per frame (original or
accepted restoration), an OME-TIFF stack per nanowell, manifest.csv/.json with
provenance and checksums, summary.json (counts, usable videos before/after
restoration per block), report.html and plots/*.png.

Options:
  --policy <p>         curated | all-decided | everything (default curated)
  --layout <l>         mirror: TIMING B<block>/images/crops_8bit_s/<well>CH0/<prefix>_t<k>.tif
                       per-well: B<block>/<well>/t<k>.tif (default mirror)
  --no-ome             do not write ome/B<block>_<well>.ome.tif stacks
  --training-pack      also write training-pack/ (index.json, oof.f32, focus.f32): pairs
                       (OOF original -> accepted restoration) plus identical in-focus pairs
                       (25 % of the pack), centre-cropped / mirror-padded to S x S
  --training-size <S>  side of the training-pack frames (default ${DEFAULT_TRAINING_SIZE})
  --merge              add to an existing destination, replacing only files an earlier export
                       wrote and left unchanged (listed in export-files.json); any other file in
                       the way refuses the merge, naming it, before anything is written
  --json               print the result as one JSON document on stdout

${POLICY_HELP}

OME-TIFF stacks keep excluded time points as blank (all-zero) pages, so T index = t - 1
and TimeIncrement hold in Fiji and napari; the excluded T indices are listed in the
OME MapAnnotation "excludedT" and absent from the manifest.

The export is written to <destination>.partial-<pid> and renamed when complete; a
destination inside the acquisition folder or the workspace, or an existing one
without --merge, is refused. On any error (a full disk included) the partial output is removed and the
export is recorded as failed in the workspace.

Exit status: 0 when frames were exported, 3 when the export holds no frame (the
hint on stderr says why, e.g. restorations not reviewed yet), 1 on a refusal or error.`;

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** Progress on stderr: one redrawn line on a terminal, throttled plain lines elsewhere. */
function progressPrinter(): { onProgress: (p: ExportProgress) => void; line: ProgressLine } {
  const line = new ProgressLine();
  const started = Date.now();
  const onProgress = (p: ExportProgress): void => {
    if (p.phase === 'started') {
      line.log(`export: ${p.total} frames`);
      return;
    }
    if (p.phase === 'failed') {
      line.done();
      return;
    }
    const elapsed = (Date.now() - started) / 1000;
    const eta = p.done > 0 && p.total > p.done ? (elapsed * (p.total - p.done)) / p.done : p.total === p.done ? 0 : null;
    const text = `export ${p.done}/${p.total} ${progressBar(p.done, p.total)} eta ${formatDuration(eta)}${p.message ? ` ${p.message}` : ''}`;
    if (p.phase === 'done') line.done(text);
    else line.update(text);
  };
  return { onProgress, line };
}

const command: Command = {
  summary: 'export a curated dataset (TIFF, OME-TIFF, manifest, report, training pack)',
  help: HELP,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('policy', 'layout', 'training-size'),
      ...booleanFlags('no-ome', 'training-pack', 'merge', 'json'),
    });
    if (positionals.length !== 2) throw new UsageError('expected <workspace> <destination>');
    const [workspace, destination] = positionals as [string, string];
    const policy: ExportPolicy = normalizeExportPolicy({
      include: oneOf(stringFlag(flags, 'policy'), EXPORT_INCLUDES, 'policy', 'curated'),
      layout: oneOf(stringFlag(flags, 'layout'), EXPORT_LAYOUTS, 'layout', 'mirror'),
      omeStacks: !flags['no-ome'],
      trainingPack: flags['training-pack'] === true,
    });
    const trainingSize = numberFlag(flags, 'training-size', DEFAULT_TRAINING_SIZE, { min: 8, max: 4096, integer: true });
    assertWorkspaceFolder(workspace);
    if (!existsSync(join(workspace, DATABASE_FILE))) {
      throw new Error(`${workspace} is not a PostFocus workspace (no ${DATABASE_FILE})`);
    }
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    // A read-only workspace exports from a snapshot (the export's record is not kept; its manifest is in the destination).
    const db = openWorkspaceDb(workspace, isWorkspaceWritable(workspace) ? {} : { readonly: true, scratch: true });
    try {
      const result = await exportDataset({
        db,
        workspace,
        destination,
        policy,
        merge: flags.merge === true,
        trainingSize,
        appVersion: pkg.version,
        onProgress: progressPrinter().onProgress,
      });
      if (flags.json) console.log(JSON.stringify({ ...result, policy }));
      else {
        console.log(
          `exported ${result.framesExported} frames (${result.framesExcluded} excluded) to ${result.destination}\n` +
            `export #${result.exportId}, manifest sha256 ${result.manifestSha256}`,
        );
      }
      if (result.hint) console.error(`hint: ${result.hint.replaceAll('\n', '\nhint: ')}`);
      // An empty dataset is not a success a script should carry on with.
      return result.framesExported === 0 ? ExitCode.completedWithErrors : ExitCode.ok;
    } catch (err) {
      // The core offers "merge into it" in words; on the command line that is --merge.
      if (err instanceof ExportRefusedError && err.message.includes(DESTINATION_EXISTS) && !flags.merge) {
        throw new ExportRefusedError(`${err.message} — add --merge to merge`);
      }
      throw err;
    } finally {
      closeDb(db);
    }
  },
};
export default command;
