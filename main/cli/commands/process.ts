import { resolve } from 'node:path';
import type { QueueProgress } from '../../common/domain.js';
import { LayoutDetectionError, ingestOnce } from '../../acquisition/ingest.js';
import { DEFAULT_MAX_PIXELS } from '../../acquisition/options.js';
import { ACQUISITION_FLAGS, acquisitionArgs, asUsage } from '../acquisition-args.js';
import { SAMPLERS, type SamplerName } from '../../inference/protocol.js';
import { DEFAULT_STEPS, RESTORE_DEFAULTS, restoreConfig } from '../../pipeline/defaults.js';
import { defaultModelsDir } from '../../pipeline/paths.js';
import type { Pipeline } from '../../pipeline/pipeline.js';
import { composePipeline, openBatchWorkspace } from '../../station/open.js';
import { countErrors } from '../../store/queries/errors.js';
import { attemptCounts, workCounts } from '../../store/queries/work.js';
import { booleanFlags, numberFlag, parseArgs, type ParsedArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import type { Db } from '../../store/database.js';
import { ExitCode, type Command } from '../command.js';
import { formatQueue, ProgressLine } from '../progress.js';
import { onStopSignals, signalExitCode } from '../signals.js';
import { formatShard, inShard, parseShard } from '../../common/shard.js';
import { claimShard } from '../../store/queries/shards.js';
import { USABLE_AFTER_LABEL } from '../../common/usability.js';
import { applyProfileFile, classifierSha } from '../../pipeline/calibrate.js';
import { listGuards } from '../../store/queries/calibration.js';
import { userInfo } from 'node:os';

const help = `Usage: postfocus process <acquisition> --workspace <folder> [options]

Ingests the acquisition folder once, classifies every frame (p(OOF) + focus
metrics), restores every out-of-focus frame with the conditional DDPM (ensemble
mean + per-pixel spread written under <workspace>/derived/) and re-classifies
the restorations. Ends when all work is done. Work is resumed from the database:
run it again after an interruption and nothing is lost or done twice.

Options:
  --workspace, -w <folder>  workspace folder (created if needed)
  --models <folder>         models folder with manifest.json (default: the shipped models)
  --sampler <name>          ${SAMPLERS.join(' | ')} (default ${RESTORE_DEFAULTS.sampler})
  --steps <n>               sampler steps (default per sampler: ${Object.entries(DEFAULT_STEPS).map(([k, v]) => `${k} ${v}`).join(', ')})
  --eta <x>                 DDIM stochasticity in [0, 1] (default ${RESTORE_DEFAULTS.eta})
  --ensemble <n>            ensemble members per restoration (default ${RESTORE_DEFAULTS.ensemble})
  --warm-start-t <t>        warm-start timestep for ddim-warm (default ${RESTORE_DEFAULTS.warmStartT})
  --threads <n>             ONNX Runtime threads in the worker (default: runtime's choice)
  --layout <name>           auto (default) | timing | micromanager | nikon | stack | pattern
  --max-pixels <n|WxH>      refuse frames larger than this at ingest (default ${Math.sqrt(DEFAULT_MAX_PIXELS)}x${Math.sqrt(DEFAULT_MAX_PIXELS)})
  --pattern <pattern>       file-name pattern with {block} {well} {t} {channel}
  --channel <c>             only this channel (index or name as the file names give it, e.g. the
                            transmitted-light channel of a multi-channel acquisition); default all
  --shard <i/N>             only shard i of N: the nanowells whose stable hash of (block, well)
                            mod N is i (see postfocus merge, postfocus cluster)
  --no-restore              classify only (triage); run again without it to restore later
  --restore-anyway          do not hold restoration when the domain guard trips (the trip is still
                            recorded and reported; use when the models are known to fit these frames)
  --profile <file>          microscope profile (postfocus calibrate --export) to judge focus with
  --json                    print the summary as one JSON document on stdout
  --quiet                   no progress bars on stderr

Exit codes: 0 ok, 1 failure, 2 usage, 3 completed but frames failed or a model
could not be used (see \`postfocus status\`).`;

/** The flags of `postfocus process`, checked (a UsageError names the flag). */
function processOptions(argv: string[]) {
  const args = parseArgs(argv, {
    ...ACQUISITION_FLAGS,
    ...stringFlags('models', 'sampler', 'steps', 'eta', 'ensemble', 'warm-start-t', 'threads', 'shard', 'profile'),
    ...booleanFlags('json', 'no-restore', 'restore-anyway', 'quiet'),
  });
  const { flags } = args;
  const { root, workspace, layoutChoice, maxPixels } = acquisitionArgs(args);
  const sampler = (stringFlag(flags, 'sampler') ?? RESTORE_DEFAULTS.sampler) as SamplerName;
  if (!SAMPLERS.includes(sampler)) throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}`);
  const restore = restoreConfig({
    sampler,
    steps: numberFlag(flags, 'steps', DEFAULT_STEPS[sampler], { min: 1, max: 1000, integer: true }),
    eta: numberFlag(flags, 'eta', RESTORE_DEFAULTS.eta, { min: 0, max: 1 }),
    ensemble: numberFlag(flags, 'ensemble', RESTORE_DEFAULTS.ensemble, { min: 1, max: 64, integer: true }),
    warmStartT: numberFlag(flags, 'warm-start-t', RESTORE_DEFAULTS.warmStartT ?? 400, { min: 0, max: 999, integer: true }),
  });
  const threads = numberFlag(flags, 'threads', 0, { min: 0, max: 256, integer: true });
  const shard = flags.shard === undefined ? null : asUsage(() => parseShard(stringFlag(flags, 'shard') ?? ''), '--shard: ');
  const modelsDir = resolve(stringFlag(flags, 'models') ?? defaultModelsDir());
  return { flags, restore, threads, layoutChoice, shard, maxPixels, root, workspace, modelsDir };
}

/** Prints what `process` did (one JSON document with --json) and returns the exit code. */
function reportProcess(
  db: Db,
  run: {
    root: string;
    workspace: string;
    modelsDir: string;
    restore: ReturnType<typeof restoreConfig>;
    flags: ParsedArgs['flags'];
    ingest: Awaited<ReturnType<typeof ingestOnce>>;
    engine: ReturnType<Pipeline['engineStatus']>;
    wells: ReturnType<Pipeline['wells']>;
    started: number;
  },
): number {
  const { root, workspace, modelsDir, restore, flags, ingest, engine, wells, started } = run;
  const counts = workCounts(db);
  const summary = {
    acquisition: root,
    workspace,
    models: modelsDir,
    ingest: { ingested: ingest.ingested, errors: ingest.errors, pending: ingest.pending, layout: ingest.layout },
    frames: counts,
    restore,
    engine: { provider: engine.provider, models: engine.models, disabledReason: engine.disabledReason ?? null },
    wells: {
      count: wells.length,
      usableBefore: wells.filter((w) => w.usability.before).length,
      /** Usable after model re-check (restorations re-classified in focus); exports count "usable after review". */
      usableAfterRecheck: wells.filter((w) => w.usability.after).length,
    },
    attempts: attemptCounts(db),
    errors: countErrors(db),
    /** Why OOF frames were left unrestored: --no-restore, or the domain guard per run. */
    restoration: {
      noRestore: Boolean(flags['no-restore']),
      awaiting: counts.oof,
      guard: listGuards(db).map((g) => ({ runId: g.runId, state: g.state, reason: g.reason })),
    },
    durationMs: Date.now() - started,
  };
  if (flags.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `${root}: ${counts.frames} frame(s): ${counts.inFocus} in focus, ${counts.oofOriginal} OOF ` +
        `(${counts.restored} restored, ${counts.reclassified} re-classified), ${counts.pending} unclassified, ${counts.failed} failed ` +
        `[${((Date.now() - started) / 1000).toFixed(1)} s on ${engine.provider ?? 'no provider'}]`,
    );
    console.log(
      `usable videos: ${summary.wells.usableBefore}/${wells.length} before restoration, ` +
        `${summary.wells.usableAfterRecheck}/${wells.length} ${USABLE_AFTER_LABEL['model-recheck']} ` +
        `(an export counts only restorations accepted in review: postfocus serve, then postfocus export)`,
    );
    if (engine.disabledReason) console.log(`warning: ${engine.disabledReason}`);
    if (flags['no-restore'] && counts.oof) console.log(`${counts.oof} OOF frame(s) await restoration (--no-restore): run again without it to restore them`);
  }
  return counts.failed > 0 || engine.disabledReason ? ExitCode.completedWithErrors : ExitCode.ok;
}

const command: Command = {
  summary: 'ingest, classify and restore an acquisition (ends when all work is done)',
  help,
  async run(argv) {
    const { flags, restore, threads, layoutChoice, shard, maxPixels, root, workspace, modelsDir } = processOptions(argv);
    const line = new ProgressLine({ silent: Boolean(flags.quiet) });
    const started = Date.now();

    const batch = openBatchWorkspace(workspace, root);
    const { db, events } = batch;
    let pipeline: Pipeline | null = null;
    // First signal: stop in order (bounded: the pipeline stops a worker that does not answer); a second exits at once.
    const removeSignals = onStopSignals((signal) => {
      line.log(`${signal}: stopping (work done so far is kept; run again to resume; ${signal} again to exit now)…`);
      void (pipeline?.stop() ?? Promise.resolve()).finally(() => {
        batch.close();
        process.exit(signalExitCode(signal));
      });
    });
    try {
      claimShard(db, workspace, root, shard);
      const ingest = await ingestOnce(root, db, {
        ...layoutChoice,
        ...(shard ? { nanowells: (block: string, well: string) => inShard(shard, block, well) } : {}),
        maxPixels,
        log: (m) => line.log(m),
        onProgress: (p) => line.update(formatQueue('ingest', p)),
      });
      claimShard(db, workspace, root, shard);
      line.update(`ingest: ${ingest.ingested} new frame(s), ${ingest.knownFiles} known${shard ? ` (shard ${formatShard(shard)})` : ''}`, true);

      const profileFile = stringFlag(flags, 'profile');
      if (profileFile) {
        const p = applyProfileFile(db, resolve(profileFile), userInfo().username, classifierSha(modelsDir));
        line.log(`microscope profile ${profileFile}: ${p.applied ? 'applied' : 'already in force'}; ${p.summary}`);
      }
      pipeline = composePipeline(batch, {
        modelsDir,
        restore,
        noRestore: Boolean(flags['no-restore']),
        ...(flags['restore-anyway'] ? { restoreAnywayBy: userInfo().username } : {}),
        ...(threads ? { threads } : {}),
        log: (level, message) => {
          if (level !== 'info' || !flags.quiet) line.log(`${level}: ${message}`);
        },
      });
      const show = (c: QueueProgress, r: QueueProgress) => line.update(`${formatQueue('classify', c, 16)} | ${formatQueue('restore', r, 16)}`);
      events.subscribe((e) => {
        if (e.type === 'progress') show(e.progress.classify, e.progress.restore);
      });
      await pipeline.start();
      await pipeline.whenIdle();
      const p = pipeline.progress();
      show(p.classify, p.restore);
      line.done();
      const engine = pipeline.engineStatus();
      const wells = pipeline.wells();
      await pipeline.stop();
      return reportProcess(db, { root, workspace, modelsDir, restore, flags, ingest, engine, wells, started });
    } catch (err) {
      line.done();
      if (err instanceof LayoutDetectionError) {
        console.error(`postfocus process: ${err.message}`);
        return ExitCode.failure;
      }
      throw err;
    } finally {
      removeSignals();
      await pipeline?.stop();
      batch.close();
    }
  },
};
export default command;
