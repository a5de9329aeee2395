/**
 * Curated dataset export (issue 8): per-frame TIFFs in the acquisition's layout,
 * an OME-TIFF stack per nanowell, manifest.csv/json with provenance, summary.json
 * with the usable-video yield, report.html with plots, and optionally a training
 * pack for model fine-tuning.
 *
 * Safety: everything is written into `<dest>.partial-<pid>` next to the
 * destination and published by one rename (or merged file by file with
 * `merge`); any error (a full disk included) removes the partial folder and
 * marks the export row failed — the only database write besides that row.
 * Memory: nanowell by nanowell; only the current well's pages are held (for its
 * OME stack), and the manifest and training pack are streamed to disk.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ExportPolicy, ExportPreview, ExportResult, UsabilityRule } from '../common/domain.js';
import { DEFAULT_USABILITY, validateUsabilityRule, videoUsability, type VideoFrame } from '../common/usability.js';
import type { TiffPage } from '../imaging/tiff-read.js';
import type { Db } from '../store/database.js';
import {
  insertExport,
  iterateFrameFacts,
  listExportRuns,
  listExportWells,
  listWellExportFrames,
  markExportDone,
  markExportFailed,
  type ExportFrameRow,
  type ExportRunRow,
  type ExportWellRow,
} from '../store/queries/exports.js';
import {
  checkDestination,
  createPartialDir,
  ExportRefusedError,
  partialPathFor,
  publishPartial,
  removePartialDir,
  writeWrittenFiles,
} from './destination.js';
import { FileHasher, readOriginal, readRestored, samplesToFloat, sha256Hex, UnreadableSource, type Samples } from './frame-source.js';
import { frameOutputPath, omeStackPath, blockFolder } from './layout.js';
import { ManifestWriter, readManifestRows, type ManifestRow } from './manifest.js';
import { buildOmeXml, type OmePixelType } from './ome-xml.js';
import { exportHint, focusClass, frameDisposition, noExclusions, normalizeExportPolicy, videoFrameOf, type Disposition, type ExclusionReason, type FrameFacts } from '../common/export-policy.js';
import { writeReport } from './report.js';
import { encodeStack, encodeSingle } from './tiff-out.js';
import {
  centreCropOrPad,
  clampUnit,
  DEFAULT_TRAINING_SIZE,
  evenSelector,
  identicalPairsWanted,
  TRAINING_PACK_DIR,
  TrainingPackWriter,
} from './training-pack.js';
import { addFrameToStats, addWellToStats, emptyBlockStats, totalStats, type BlockStats } from './yield.js';

/** Defaults when the run settings do not say: the virtual microscope's camera and TIMING's 5-minute interval. */
export const DEFAULT_PIXEL_SIZE_UM = 0.325;
export const DEFAULT_TIME_INCREMENT_S = 300;

export interface ExportProgress {
  phase: 'started' | 'progress' | 'done' | 'failed';
  /** Frames handled so far (exported or excluded). */
  done: number;
  total: number;
  message?: string;
}

export interface ExportOptions {
  db: Db;
  /** Workspace folder (restorations are stored relative to it). */
  workspace: string;
  destination: string;
  policy?: Partial<ExportPolicy>;
  /** Add/replace files in an existing destination; its manifest is rewritten. */
  merge?: boolean;
  onProgress?: (progress: ExportProgress) => void;
  /** Training-pack side S (default 256). */
  trainingSize?: number;
  /** Overrides of the run settings (µm per pixel, seconds between frames). */
  pixelSizeUm?: number;
  timeIncrementS?: number;
  usability?: UsabilityRule;
  /** App version recorded in the manifest and summary. */
  appVersion?: string;
}

/** A frame the policy included but whose file could not be read. */
export interface UnreadableFrame {
  frameId: number;
  path: string;
  page: number;
  reason: string;
}

export interface ExportSummary {
  version: 1;
  exportId: number;
  appVersion: string;
  startedAt: string;
  exportedAt: string;
  destination: string;
  workspace: string;
  merged: boolean;
  policy: ExportPolicy;
  runs: { id: number; root: string; layout: string }[];
  physical: { pixelSizeUm: number; timeIncrementS: number; source: string };
  usability: UsabilityRule;
  counts: {
    frames: number;
    originals: number;
    restored: number;
    excluded: number;
    excludedByReason: Record<ExclusionReason, number>;
    wells: number;
    wellsExported: number;
    omeStacks: number;
    trainingPairs: number;
    manifestRows: number;
  };
  /** Frames left out because their file could not be read, with the reason. */
  unreadable: UnreadableFrame[];
  yield: {
    blocks: BlockYield[];
    total: BlockYield;
  };
  manifestSha256: string;
}

export interface BlockYield extends BlockStats {
  oofFraction: number;
  /** Usable videos / evaluated videos. */
  usableFractionBefore: number;
  usableFractionAfter: number;
}

/** Counts of what an export with this policy would write (no file touched). */
export function previewExport(db: Db, policy?: Partial<ExportPolicy>): ExportPreview {
  const p = normalizeExportPolicy(policy);
  const preview: ExportPreview = { originals: 0, restored: 0, excluded: 0, wells: 0 };
  const wellsWithOutput = new Set<number>();
  for (const row of iterateFrameFacts(db)) {
    const d = frameDisposition(factsOf(row), p.include);
    if (d.kind === 'excluded') preview.excluded++;
    else {
      preview[d.kind === 'original' ? 'originals' : 'restored']++;
      wellsWithOutput.add(row.wellId);
    }
  }
  preview.wells = wellsWithOutput.size;
  return preview;
}

function factsOf(row: { state: FrameFacts['state']; oof: 0 | 1 | null; verdict: FrameFacts['verdict']; hasRestoration?: 0 | 1; restorationId?: number | null }): FrameFacts {
  return {
    state: row.state,
    oofOriginal: row.oof === null ? null : row.oof === 1,
    hasRestoration: row.hasRestoration !== undefined ? row.hasRestoration === 1 : row.restorationId != null,
    verdict: row.verdict,
  };
}

interface RunContext {
  run: ExportRunRow;
  pixelSizeUm: number;
  timeIncrementS: number;
  physicalSource: string;
  usability: UsabilityRule;
}

function positiveNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** Pixel size, frame interval and usability rule of a run: options, else run settings, else defaults. */
export function runContext(run: ExportRunRow, opts: Pick<ExportOptions, 'pixelSizeUm' | 'timeIncrementS' | 'usability'>): RunContext {
  let settings: Record<string, unknown> = {};
  try {
    const parsed = JSON.parse(run.settings) as unknown;
    if (parsed && typeof parsed === 'object') settings = parsed as Record<string, unknown>;
  } catch {
    // Unreadable settings: fall back to defaults, recorded as such in the summary.
  }
  const sources: string[] = [];
  let pixelSizeUm = positiveNumber(opts.pixelSizeUm);
  if (pixelSizeUm) sources.push('pixel size: option');
  else if ((pixelSizeUm = positiveNumber(settings.pixelSizeUm))) sources.push('pixel size: run settings');
  else {
    pixelSizeUm = DEFAULT_PIXEL_SIZE_UM;
    sources.push('pixel size: default');
  }
  let timeIncrementS = positiveNumber(opts.timeIncrementS);
  if (timeIncrementS) sources.push('time increment: option');
  else if ((timeIncrementS = positiveNumber(settings.frameIntervalS))) sources.push('time increment: run settings');
  else if (positiveNumber(settings.frameIntervalMin)) {
    timeIncrementS = (settings.frameIntervalMin as number) * 60;
    sources.push('time increment: run settings');
  } else {
    timeIncrementS = DEFAULT_TIME_INCREMENT_S;
    sources.push('time increment: default');
  }
  let usability = opts.usability ?? DEFAULT_USABILITY;
  if (!opts.usability && settings.usability && typeof settings.usability === 'object') {
    try {
      usability = validateUsabilityRule({ ...DEFAULT_USABILITY, ...(settings.usability as Partial<UsabilityRule>) });
    } catch {
      usability = DEFAULT_USABILITY;
    }
  }
  return { run, pixelSizeUm, timeIncrementS, physicalSource: sources.join(', '), usability };
}

/** One decoded page of a nanowell's stack. */
interface StackPage {
  t: number;
  channel: string;
  page: TiffPage;
  kind: 'original' | 'restored';
}

const PIXEL_TYPE: Record<8 | 16 | 32, OmePixelType> = { 8: 'uint8', 16: 'uint16', 32: 'float' };

/** Writes bytes to `<root>/<rel>` (creating folders); returns the sha256. */
function writeOutput(root: string, rel: string, bytes: Uint8Array): string {
  const file = join(root, ...rel.split('/'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  return sha256Hex(bytes);
}

function describeError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOSPC') return `disk full while writing the export (${e.path ?? 'destination'}): ${e.message}`;
  if (e?.code === 'EDQUOT') return `disk quota exceeded while writing the export (${e.path ?? 'destination'}): ${e.message}`;
  return err instanceof Error ? err.message : String(err);
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Destinations being exported by this process: a second export to one of them is refused. */
const activeDestinations = new Set<string>();

/**
 * Exports the workspace's frames under `policy` to `destination`.
 * Resolves with the export record's id and counts; rejects with a clear Error
 * (an {@link ExportRefusedError} for a refused destination) after marking the
 * export row failed and removing the partial output.
 */
/** Pass 1 (light): totals for progress and the training pack's identical-pair share. */
function planExport(db: Db): { total: number; restoredPairs: number; inFocusOriginals: number } {
  let total = 0;
  let restoredPairs = 0;
  let inFocusOriginals = 0;
  for (const row of iterateFrameFacts(db)) {
    total++;
    const facts = factsOf(row);
    const curated = frameDisposition(facts, 'curated');
    if (curated.kind === 'restored') restoredPairs++;
    else if (curated.kind === 'original' && focusClass(facts) === 'in_focus') inFocusOriginals++;
  }
  return { total, restoredPairs, inFocusOriginals };
}

/** The frame pass of one export: where it writes, what it has written and counted so far. */
interface ExportPass {
  db: Db;
  policy: ExportPolicy;
  partial: string;
  workspace: string;
  appVersion: string;
  manifest: ManifestWriter;
  pack: TrainingPackWriter | null;
  trainingSize: number;
  multiRun: boolean;
  contexts: Map<number, RunContext>;
  hasher: FileHasher;
  /** Which in-focus originals (by index) become identical training pairs. */
  pickIdentical: (index: number) => boolean;
  inFocusIndex: number;
  blocks: Map<string, BlockStats>;
  excludedByReason: Record<ExclusionReason, number>;
  /** Frames the policy included whose file could not be read, with why (summary.json). */
  unreadable: UnreadableFrame[];
  writtenPaths: Set<string>;
  /** sha256 of the files written so far (export-files.json lists every file with its sha256). */
  writtenSha: Map<string, string>;
  exported: number;
  excluded: number;
  done: number;
  wellsExported: number;
  omeStacks: number;
}

/** Exports one nanowell: its frames (per the policy), its OME stack, its training pairs and its block's stats. */
async function exportWell(pass: ExportPass, well: ExportWellRow): Promise<void> {
  const { policy, partial, workspace, multiRun, pack } = pass;
  const ctx = pass.contexts.get(well.runId)!;
  const blockKey = multiRun ? `run${well.runId}/${blockFolder(well.block)}` : blockFolder(well.block);
  let stats = pass.blocks.get(blockKey);
  if (!stats) pass.blocks.set(blockKey, (stats = emptyBlockStats(blockKey)));
  const frames = listWellExportFrames(pass.db, well.id);
  const stack: StackPage[] = [];
  const video: VideoFrame[] = [];
  for (const frame of frames) {
    const facts = factsOf(frame);
    const disposition = frameDisposition(facts, policy.include);
    video.push(videoFrameOf({ ...facts, t: frame.t, channel: frame.channel }));
    let page: TiffPage | null = null;
    // Stats count a frame once it is known whether its file could be read.
    if (disposition.kind === 'excluded') {
      addFrameToStats(stats, facts, disposition);
      pass.excluded++;
      pass.excludedByReason[disposition.reason]++;
    } else {
      const { hasher, manifest, writtenPaths, writtenSha } = pass;
      try {
        page = await exportFrame({ frame, well, ctx, disposition, partial, workspace, policy, multiRun, hasher, manifest, writtenPaths, writtenSha });
      } catch (err) {
        // One frame whose file cannot be read is left out; a write that fails (disk full) still fails the export.
        if (!(err instanceof UnreadableSource)) throw err;
        pass.excluded++;
        pass.excludedByReason.unreadable++;
        pass.unreadable.push({ frameId: frame.frameId, path: frame.path, page: frame.page, reason: err.message });
        addFrameToStats(stats, facts, { kind: 'excluded', reason: 'unreadable' });
        pass.done++;
        continue;
      }
      pass.exported++;
      addFrameToStats(stats, facts, disposition);
      if (policy.omeStacks) stack.push({ t: frame.t, channel: frame.channel, page, kind: disposition.kind });
    }
    if (pack) {
      const curated = frameDisposition(facts, 'curated');
      const inFocus = curated.kind === 'original' && focusClass(facts) === 'in_focus';
      if (curated.kind === 'restored') await addRestoredPair(pack, frame, ctx, workspace, pass.trainingSize);
      else if (inFocus && pass.pickIdentical(pass.inFocusIndex++)) {
        // A curated in-focus original is exported as that original under every policy: reuse its pixels.
        await addIdenticalPair(pack, frame, ctx, pass.trainingSize, disposition.kind === 'original' ? page : null);
      }
    }
    pass.done++;
  }
  addWellToStats(stats, videoUsability(video, ctx.usability, 'review'));
  if (stack.length === 0) return;
  pass.wellsExported++;
  if (policy.omeStacks) {
    const { appVersion, writtenPaths, writtenSha } = pass;
    writeOmeStack({ partial, well, ctx, stack, frames, multiRun, policy, appVersion, writtenPaths, writtenSha });
    pass.omeStacks++;
  }
}

/** summary.json of a finished frame pass: provenance, counts and the usable-video yield per block. */
function exportSummary(
  pass: ExportPass,
  done: { exportId: number; startedAt: string; destination: string; merge: boolean; runs: ExportRunRow[]; total: number; trainingPairs: number; manifestRows: number; manifestSha256: string },
): ExportSummary {
  const { runs } = done;
  const blockList = [...pass.blocks.values()].sort((a, b) => a.block.localeCompare(b.block, undefined, { numeric: true }));
  const firstCtx = pass.contexts.get(runs[0]?.id ?? -1);
  return {
    version: 1,
    exportId: done.exportId,
    appVersion: pass.appVersion,
    startedAt: done.startedAt,
    exportedAt: new Date().toISOString(),
    destination: done.destination,
    workspace: pass.workspace,
    merged: done.merge,
    policy: pass.policy,
    runs: runs.map((r) => ({ id: r.id, root: r.root, layout: r.layout })),
    physical: {
      pixelSizeUm: firstCtx?.pixelSizeUm ?? DEFAULT_PIXEL_SIZE_UM,
      timeIncrementS: firstCtx?.timeIncrementS ?? DEFAULT_TIME_INCREMENT_S,
      source: firstCtx?.physicalSource ?? 'default',
    },
    usability: firstCtx?.usability ?? DEFAULT_USABILITY,
    counts: {
      frames: done.total,
      originals: blockList.reduce((n, b) => n + b.exportedOriginals, 0),
      restored: blockList.reduce((n, b) => n + b.exportedRestored, 0),
      excluded: pass.excluded,
      excludedByReason: pass.excludedByReason,
      wells: blockList.reduce((n, b) => n + b.wells, 0),
      wellsExported: pass.wellsExported,
      omeStacks: pass.omeStacks,
      trainingPairs: done.trainingPairs,
      manifestRows: done.manifestRows,
    },
    yield: { blocks: blockList.map(withFractions), total: withFractions(totalStats(blockList)) },
    unreadable: pass.unreadable,
    manifestSha256: done.manifestSha256,
  };
}

export async function exportDataset(options: ExportOptions): Promise<ExportResult> {
  const { db } = options;
  const policy = normalizeExportPolicy(options.policy);
  const merge = options.merge ?? false;
  const destination = resolve(options.destination);
  const workspace = resolve(options.workspace);
  const appVersion = options.appVersion ?? 'unknown';
  const startedAt = new Date().toISOString();
  const progress = options.onProgress ?? (() => {});
  const runs = listExportRuns(db);
  const exportId = insertExport(db, { runId: runs.length === 1 ? runs[0]!.id : null, destination, policy: { ...policy, merge }, startedAt });

  let pass: ExportPass | null = null;
  let total = 0;
  let partial: string | null = null;
  let manifest: ManifestWriter | null = null;
  let pack: TrainingPackWriter | null = null;
  let claimed = false;
  try {
    if (activeDestinations.has(destination)) {
      throw new ExportRefusedError(`an export to ${destination} is already running`);
    }
    activeDestinations.add(destination);
    claimed = true;
    checkDestination(destination, { acquisitionRoots: runs.map((r) => r.root), workspace, merge });
    if (options.trainingSize !== undefined && !(Number.isInteger(options.trainingSize) && options.trainingSize >= 8)) {
      throw new ExportRefusedError(`training-pack size must be a whole number ≥ 8, got ${options.trainingSize}`);
    }

    const planned = planExport(db);
    total = planned.total;
    progress({ phase: 'started', done: 0, total });

    partial = partialPathFor(destination);
    createPartialDir(partial);
    manifest = new ManifestWriter(partial, { version: 1, exportId, createdAt: startedAt, appVersion, policy, ...(merge ? { merged: true } : {}) });
    const trainingSize = options.trainingSize ?? DEFAULT_TRAINING_SIZE;
    if (policy.trainingPack) {
      mkdirSync(join(partial, TRAINING_PACK_DIR));
      pack = new TrainingPackWriter(join(partial, TRAINING_PACK_DIR), trainingSize);
    }
    pass = {
      db, policy, partial, workspace, appVersion, manifest, pack, trainingSize,
      multiRun: runs.length > 1,
      contexts: new Map(runs.map((r) => [r.id, runContext(r, options)])),
      hasher: new FileHasher(),
      pickIdentical: evenSelector(planned.inFocusOriginals, identicalPairsWanted(planned.restoredPairs)),
      inFocusIndex: 0,
      blocks: new Map(),
      excludedByReason: noExclusions(),
      unreadable: [],
      writtenPaths: new Set(),
      writtenSha: new Map(),
      exported: 0, excluded: 0, done: 0, wellsExported: 0, omeStacks: 0,
    };
    for (const well of listExportWells(db)) {
      await exportWell(pass, well);
      progress({ phase: 'progress', done: pass.done, total, message: `B${well.block}-${well.well}` });
      await yieldToLoop();
    }

    if (merge) appendRetainedRows(manifest, destination, pass.writtenPaths);
    const manifestRows = manifest.count;
    const manifestSha256 = manifest.finish();
    manifest = null;
    const trainingPairs = pack ? pack.finish().count : 0;
    pack = null;

    const summary = exportSummary(pass, { exportId, startedAt, destination, merge, runs, total, trainingPairs, manifestRows, manifestSha256 });
    const { writtenSha, excludedByReason, exported, excluded } = pass;
    writeFileSync(join(partial, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    await writeReport(partial, summary);
    writeWrittenFiles(partial, writtenSha, merge && existsSync(destination) ? destination : undefined);

    publishPartial(partial, destination, merge);
    partial = null;
    markExportDone(db, exportId, { framesExported: exported, framesExcluded: excluded, manifestSha256 });
    progress({ phase: 'done', done: total, total });
    const hint = exportHint(excludedByReason, exported);
    return { exportId, destination, framesExported: exported, framesExcluded: excluded, manifestSha256, ...(hint ? { hint } : {}) };
  } catch (err) {
    manifest?.abort();
    pack?.close();
    const message = describeError(err);
    const leftover = partial ? removePartialDir(partial) : null;
    const full = leftover ? `${message} (and the partial folder ${partial} could not be removed: ${leftover})` : message;
    const exported = pass?.exported ?? 0;
    const excluded = pass?.excluded ?? 0;
    markExportFailed(db, exportId, { error: full, framesExported: exported, framesExcluded: excluded });
    progress({ phase: 'failed', done: exported + excluded, total, message: full });
    if (err instanceof ExportRefusedError) throw err;
    throw new Error(`export to ${destination} failed: ${full}`, { cause: err });
  } finally {
    if (claimed) activeDestinations.delete(destination);
  }
}

function withFractions(s: BlockStats): BlockYield {
  return {
    ...s,
    oofFraction: s.classified === 0 ? 0 : s.oof / s.classified,
    usableFractionBefore: s.evaluated === 0 ? 0 : s.usableBefore / s.evaluated,
    usableFractionAfter: s.evaluated === 0 ? 0 : s.usableAfter / s.evaluated,
  };
}

function parseSeeds(text: string | null): number[] | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.map(Number) : null;
  } catch {
    return null;
  }
}

interface FrameJob {
  frame: ExportFrameRow;
  well: ExportWellRow;
  ctx: RunContext;
  disposition: Disposition;
  partial: string;
  workspace: string;
  policy: ExportPolicy;
  multiRun: boolean;
  hasher: FileHasher;
  manifest: ManifestWriter;
  writtenPaths: Set<string>;
  writtenSha: Map<string, string>;
}

/** Writes one frame's TIFF and its manifest row; returns the decoded page (for the OME stack). */
async function exportFrame(job: FrameJob): Promise<TiffPage> {
  const { frame, well, ctx, disposition } = job;
  const originalPath = join(ctx.run.root, frame.path);
  const originalSha256 = job.hasher.sha256(originalPath);
  let page: TiffPage;
  let sourcePath: string;
  let sourceSha256: string;
  if (disposition.kind === 'restored') {
    if (!frame.meanPath) throw new Error(`frame ${frame.frameId} is marked restored but has no restoration file`);
    sourcePath = join(job.workspace, frame.meanPath);
    sourceSha256 = job.hasher.sha256(sourcePath);
    page = await readRestored(sourcePath, { width: frame.width, height: frame.height, bits: frame.bits });
  } else {
    sourcePath = originalPath;
    sourceSha256 = originalSha256;
    page = await readOriginal(originalPath, frame.page, frame);
  }
  const outputPath = frameOutputPath(
    { runId: well.runId, block: well.block, well: well.well, t: frame.t, channel: frame.channel, sourcePath: frame.path },
    job.policy.layout,
    job.multiRun,
  );
  if (job.writtenPaths.has(outputPath)) {
    throw new Error(`two frames map to the same output file ${outputPath} (frame ${frame.frameId}); check the nanowell labels`);
  }
  const outputSha256 = writeOutput(job.partial, outputPath, encodeSingle(page, ctx.pixelSizeUm));
  job.writtenPaths.add(outputPath);
  job.writtenSha.set(outputPath, outputSha256);
  const row: ManifestRow = {
    frameId: frame.frameId,
    runId: well.runId,
    block: well.block,
    well: well.well,
    t: frame.t,
    channel: frame.channel,
    kind: disposition.kind === 'restored' ? 'restored' : 'original',
    outputPath,
    outputSha256,
    outputBits: page.bits,
    width: page.width,
    height: page.height,
    sourcePath,
    sourcePage: disposition.kind === 'restored' ? 0 : frame.page,
    sourceSha256,
    originalPath,
    originalSha256,
    decision: frame.verdict ?? 'undecided',
    reviewer: frame.reviewer,
    decidedAt: frame.decidedAt,
    note: frame.note,
    classifierModelId: frame.classifierModelId,
    classifierModelSha256: frame.classifierModelSha256,
    restorationModelId: frame.restorationModelId,
    restorationModelSha256: frame.restorationModelSha256,
    sampler: frame.sampler,
    steps: frame.steps,
    eta: frame.eta,
    ensemble: frame.ensemble,
    seeds: parseSeeds(frame.seeds),
    pOofBefore: frame.pOof,
    pOofAfter: frame.pOofAfter,
    tenenbaumBefore: frame.tenenbaumBefore ?? frame.tenenbaum,
    tenenbaumAfter: frame.tenenbaumAfter,
    spreadMean: frame.spreadMean,
  };
  job.manifest.add(row);
  return page;
}

/** Writes `ome/B<block>_<well>.ome.tif`: T pages (× channels), blank pages for excluded time points. */
function writeOmeStack(input: {
  partial: string;
  well: ExportWellRow;
  ctx: RunContext;
  stack: StackPage[];
  frames: ExportFrameRow[];
  multiRun: boolean;
  policy: ExportPolicy;
  appVersion: string;
  writtenPaths: Set<string>;
  writtenSha: Map<string, string>;
}): void {
  const { well, stack, frames } = input;
  const first = stack[0]!.page;
  for (const s of stack) {
    if (s.page.width !== first.width || s.page.height !== first.height || s.page.bits !== first.bits) {
      throw new Error(
        `nanowell B${well.block}-${well.well}: frame t=${s.t} is ${s.page.width}×${s.page.height} ${s.page.bits}-bit, ` +
          `t=${stack[0]!.t} is ${first.width}×${first.height} ${first.bits}-bit; an OME stack needs one size`,
      );
    }
  }
  const channels = [...new Set(frames.map((f) => f.channel))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  // T index = t − 1 (t is 1-based as in TIMING); a well starting at t = 0 keeps T = t.
  const minT = Math.min(...frames.map((f) => f.t));
  const tOffset = minT === 0 ? 0 : 1;
  const sizeT = Math.max(...frames.map((f) => f.t)) - tOffset + 1;
  const byKey = new Map(stack.map((s) => [`${s.t - tOffset}|${s.channel}`, s]));
  const excludedT: number[] = [];
  const restoredT: number[] = [];
  const blank = blankSamples(first.bits, first.width * first.height);
  const pages: TiffPage[] = [];
  for (let ti = 0; ti < sizeT; ti++) {
    let any = false;
    for (const c of channels) {
      const s = byKey.get(`${ti}|${c}`);
      if (s) {
        any = true;
        if (s.kind === 'restored' && !restoredT.includes(ti)) restoredT.push(ti);
      }
      pages.push(s ? s.page : { width: first.width, height: first.height, bits: first.bits, data: blank });
    }
    if (!any) excludedT.push(ti);
  }
  const xml = buildOmeXml({
    name: `${blockFolder(well.block)}_${well.well}`,
    width: first.width,
    height: first.height,
    sizeT,
    channels: channels.map((c) => `CH${c}`),
    pixelType: PIXEL_TYPE[first.bits],
    physicalSizeUm: input.ctx.pixelSizeUm,
    timeIncrementS: input.ctx.timeIncrementS,
    excludedT,
    restoredT,
    description:
      `PostFocus Station ${input.appVersion} export, policy ${input.policy.include}. ` +
      `T index = t - ${tOffset}; excluded time points are blank (all-zero) pages, listed in the annotation excludedT.`,
    annotations: { policy: input.policy.include, block: well.block, well: well.well, tOffset: String(tOffset) },
  });
  const rel = omeStackPath(well.runId, well.block, well.well, input.multiRun);
  input.writtenSha.set(rel, writeOutput(input.partial, rel, encodeStack(pages, xml, input.ctx.pixelSizeUm)));
  input.writtenPaths.add(rel);
}

function blankSamples(bits: 8 | 16 | 32, n: number): Samples {
  return bits === 8 ? new Uint8Array(n) : bits === 16 ? new Uint16Array(n) : new Float32Array(n);
}

async function addRestoredPair(
  pack: TrainingPackWriter,
  frame: ExportFrameRow,
  ctx: RunContext,
  workspace: string,
  size: number,
): Promise<void> {
  const original = await readOriginal(join(ctx.run.root, frame.path), frame.page, frame);
  const restored = await readRestored(join(workspace, frame.meanPath!), { width: frame.width, height: frame.height, bits: 32 });
  pack.add(
    clampUnit(centreCropOrPad(samplesToFloat(original.data), original.width, original.height, size)),
    clampUnit(centreCropOrPad(restored.data as Float32Array, restored.width, restored.height, size)),
    { oof: 1, identical: false, frame_id: frame.frameId },
  );
}

async function addIdenticalPair(
  pack: TrainingPackWriter,
  frame: ExportFrameRow,
  ctx: RunContext,
  size: number,
  decoded: TiffPage | null,
): Promise<void> {
  const original = decoded ?? (await readOriginal(join(ctx.run.root, frame.path), frame.page, frame));
  const img = clampUnit(centreCropOrPad(samplesToFloat(original.data), original.width, original.height, size));
  pack.add(img, img, { oof: 0, identical: true, frame_id: frame.frameId });
}

/** With merge: keeps the rows of the previous manifest whose files this export did not rewrite. */
function appendRetainedRows(manifest: ManifestWriter, destination: string, written: Set<string>): void {
  for (const row of readManifestRows(destination)) {
    if (typeof row.outputPath !== 'string' || written.has(row.outputPath)) continue;
    // A file deleted from the destination since the last export is not listed again.
    if (!existsSync(join(destination, ...row.outputPath.split('/')))) continue;
    manifest.add(row);
  }
}
