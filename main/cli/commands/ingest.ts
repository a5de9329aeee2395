import { LayoutDetectionError, ingestOnce, type IngestSummary } from '../../acquisition/ingest.js';
import { checkWorkspaceLocation } from '../../acquisition/location.js';
import { DEFAULT_MAX_PIXELS } from '../../acquisition/options.js';
import { ACQUISITION_FLAGS, acquisitionArgs } from '../acquisition-args.js';
import { closeDb, openWorkspaceDb } from '../../store/database.js';
import { listErrors } from '../../store/queries/errors.js';
import { booleanFlags, numberFlag, parseArgs, stringFlags } from '../args.js';
import { ExitCode, type Command } from '../command.js';
import { formatQueue, ProgressLine } from '../progress.js';

const help = `Usage: postfocus ingest <acquisition> --workspace <folder> [options]

One ingest pass over an acquisition folder: every frame file that is complete
(size stable across two checks, TIFF structure complete) and not yet in the
workspace is added once. Truncated or corrupt files are recorded as errors;
files still being written are left for a later pass. The acquisition folder is
only read.

Options:
  --workspace, -w <folder>  workspace folder (created if needed)
  --layout <name>           auto (default) | timing | micromanager | nikon | stack | pattern
  --pattern <pattern>       file names with fields {block} {well} {t} {channel},
                            e.g. "B{block}/W{well}/frame_{t}.tif" (* and ** allowed)
  --channel <c>             only this channel (index or name as the file names give it, e.g. the
                            transmitted-light channel of a multi-channel acquisition); default all
  --stable-ms <ms>          interval of the two size checks (default 300)
  --max-pixels <n|WxH>      refuse frames larger than this (default ${Math.sqrt(DEFAULT_MAX_PIXELS)}x${Math.sqrt(DEFAULT_MAX_PIXELS)})
  --json                    print the summary as one JSON document on stdout
  --quiet                   no progress bar on stderr

Exit codes: 0 ok, 1 failure (no layout recognised, workspace not writable),
2 usage, 3 completed but errors were recorded for some files.`;

const command: Command = {
  summary: 'ingest an acquisition folder once (complete frames, exactly once)',
  help,
  async run(argv) {
    const args = parseArgs(argv, { ...ACQUISITION_FLAGS, ...stringFlags('stable-ms'), ...booleanFlags('json', 'quiet') });
    const { flags } = args;
    const { root, workspace, layoutChoice: choice, maxPixels } = acquisitionArgs(args);
    const stableMs = numberFlag(flags, 'stable-ms', 300, { min: 0, max: 60_000, integer: true });
    checkWorkspaceLocation(workspace, root);
    const db = openWorkspaceDb(workspace);
    const line = new ProgressLine({ silent: Boolean(flags.quiet) });
    let summary: IngestSummary;
    let lastProgress = '';
    try {
      summary = await ingestOnce(root, db, {
        ...choice,
        stableMs,
        maxPixels,
        log: (m) => line.log(m),
        onProgress: (p) => line.update((lastProgress = formatQueue('ingest', p))),
      });
      line.done(lastProgress || undefined);
    } catch (err) {
      line.done();
      closeDb(db);
      if (err instanceof LayoutDetectionError) {
        console.error(`postfocus ingest: ${err.message}`);
        return ExitCode.failure;
      }
      throw err;
    }
    const errors = summary.runId !== null && summary.errors > 0 ? listErrors(db, { limit: 20, runId: summary.runId }) : [];
    closeDb(db);
    if (flags.json) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(
        `${root}: ${summary.ingested} frame(s) ingested (layout ${summary.layout}${summary.pattern ? ` ${summary.pattern}` : ''}), ` +
          `${summary.ignored} file(s) ignored, ${summary.errors} error(s), ${summary.pending} still being written ` +
          `[${(summary.durationMs / 1000).toFixed(1)} s]`,
      );
      for (const e of errors) console.log(`  error: ${e.path ?? ''}: ${e.message}`);
      if (summary.errors > errors.length) console.log(`  ... see \`postfocus status ${workspace}\``);
    }
    return summary.errors > 0 ? ExitCode.completedWithErrors : ExitCode.ok;
  },
};
export default command;
