/**
 * Ingest: turns files of an acquisition tree into frame rows, each exactly
 * once and only when completely written:
 *
 *   offered path ─ layout match? ─ no → ignored (counted in run.ignored_files)
 *        │ yes, not known by (path, page)
 *        ▼
 *   stat now, stat again ≥ stableMs later: same size and mtime?  no → wait
 *        │ yes
 *        ▼
 *   probeTiff complete?  no → wait; still incomplete after settleMs of a
 *        │ yes               stable size → error_log row (once per path)
 *        ▼
 *   frame rows inserted in one transaction per batch → `frame-ingested` events
 *
 * The acquisition folder is only read. What is known lives in the database,
 * so a restarted ingest skips what was ingested before the restart.
 */
import { lstat, realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ErrorEntry, QueueProgress } from '../common/domain.js';
import { queueProgress, SlidingRate } from '../common/rate.js';
import type { EventBus } from '../common/event-bus.js';
import { probeTiff, stationBits, unsupportedReason, type TiffProbe } from '../imaging/tiff-read.js';
import type { Db } from '../store/database.js';
import { erroredPaths, recordError, toErrorEntry } from '../store/queries/errors.js';
import { insertFrames, knownFiles, type InsertOutcome, type KnownFile, type NewFrame } from '../store/queries/frames.js';
import { wellLabel } from '../store/queries/nanowells.js';
import { createRun, getRunByRoot, setIgnoredFiles, setRunLayout, type RunRow } from '../store/queries/runs.js';
import { detectLayout } from './detect.js';
import { realPathOf } from './location.js';
import { DEFAULT_MAX_PIXELS } from './options.js';
import { channelMatches, framesOfFile, isTransientName, layoutFor, withChannel, type Layout, type LayoutName } from './layouts.js';
import { DirectoryCache, forEachLimit, linkReason, listTree, specialReason } from './scan.js';

export interface IngestOptions {
  /** Layout of the acquisition; 'auto' (default) detects it from the files. */
  layout?: LayoutName | 'auto';
  /** User pattern (implies layout 'pattern'). */
  pattern?: string;
  /** Only frames of this channel (index or name as the file names give it; `--channel`); default every channel. */
  channel?: string;
  /** Receives `frame-ingested` and `error` events. */
  bus?: EventBus;
  /** Two stat checks at least this far apart must agree before a file is probed (ms, default 300). */
  stableMs?: number;
  /**
   * An incomplete TIFF whose size has not changed for this long is reported as
   * truncated/corrupt (ms). The watcher defaults to 3000; one-pass ingest uses stableMs.
   */
  settleMs?: number;
  /** Files stat'ed / probed in parallel (default 16). */
  concurrency?: number;
  /** Informational messages (layout detected, folder back, ...). */
  log?: (message: string) => void;
  /** Only frames of the nanowells this accepts are ingested (a shard: `--shard i/N`); default all. */
  nanowells?: (block: string, well: string) => boolean;
  /**
   * Largest frame ingested, in pixels (width × height, read from the TIFF header
   * without decoding); larger frames get an error row. Default {@link DEFAULT_MAX_PIXELS}.
   */
  maxPixels?: number;
}

/** Counters of one pass (ingestOnce) or of a watcher's lifetime. */
export interface IngestCounters {
  /** Frames inserted. */
  ingested: number;
  /** Files that match no frame of the layout. */
  ignored: number;
  /** Files (or folders) that failed: corrupt, truncated, unreadable, duplicate time point. */
  errors: number;
  /** Error rows newly written (a file's error is written once). */
  newErrors: number;
}

export interface IngestSummary extends IngestCounters {
  root: string;
  runId: number | null;
  layout: string | null;
  pattern: string | null;
  /** Files seen but not yet ingested because they were still being written. */
  pending: number;
  /** Frames of the run in the database after the pass. */
  knownFiles: number;
  durationMs: number;
  /** Set when no layout could be detected (nothing ingested). */
  detection?: string;
}

interface Candidate {
  size: number;
  mtimeMs: number;
  /** When (size, mtime) last changed or was first seen. */
  stableSince: number;
  nextCheck: number;
  observed: boolean;
}

interface FailedFile {
  size: number;
  mtimeMs: number;
  /** I/O problems (permission denied, ...) are retried when the file is offered again. */
  retry: boolean;
}

const DEFAULTS = { stableMs: 300, settleMs: 3000, concurrency: 16 };
const INSERT_BATCH = 1000;

/** SQLite refused a row (a CHECK, UNIQUE or trigger constraint): that row can never be inserted, unlike a full disk. */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
}
/** Files checked per slice of a processing round (one insert transaction each). */
const PROCESS_SLICE = 512;

/**
 * Ingest state of one acquisition root in one workspace database. Used by
 * {@link ingestOnce} (one pass) and by the live AcquisitionWatcher.
 */
export class AcquisitionIngestor {
  readonly root: string;
  readonly stableMs: number;
  readonly settleMs: number;
  run: RunRow | null = null;
  layout: Layout | null = null;
  /** Why no layout is known yet (auto-detection found nothing), for progress lines. */
  detectionMessage: string | null = null;
  /** The acquisition root could not be listed at the last scan. */
  rootMissing = false;
  /** The root was listed at least once by this ingestor (a root missing from the start is awaited, not an error). */
  rootSeen = false;
  readonly maxPixels: number;

  readonly total: IngestCounters = { ingested: 0, ignored: 0, errors: 0, newErrors: 0 };
  pass: IngestCounters = { ingested: 0, ignored: 0, errors: 0, newErrors: 0 };

  private readonly options: IngestOptions;
  private readonly known = new Map<string, KnownFile>();
  private readonly failed = new Map<string, FailedFile>();
  private readonly ignored = new Set<string>();
  private readonly passIgnored = new Set<string>();
  private readonly candidates = new Map<string, Candidate>();
  private readonly undetected = new Set<string>();
  private readonly dirCache = new DirectoryCache();
  private ignoredDirty = false;
  private readonly errorKeys = new Set<string>();
  private readonly passErrorKeys = new Set<string>();
  private readonly ingestRate = new SlidingRate();
  private busy = false;
  private detectAttemptSize = 0;
  private realRootCache: string | null = null;

  /** The root with symlinks resolved (links must stay inside it). */
  private get realRoot(): string {
    this.realRootCache ??= realPathOf(this.root);
    return this.realRootCache;
  }

  constructor(
    private readonly db: Db,
    root: string,
    options: IngestOptions = {},
  ) {
    this.root = resolve(root);
    this.options = options;
    this.stableMs = options.stableMs ?? DEFAULTS.stableMs;
    this.settleMs = Math.max(options.settleMs ?? DEFAULTS.settleMs, this.stableMs);
    this.maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.init();
    // A root this workspace already holds frames of existed: its absence is an error (an unmounted share).
    this.rootSeen = this.known.size > 0;
  }

  private init(): void {
    const wanted = this.options.pattern ? 'pattern' : (this.options.layout ?? 'auto');
    const run = getRunByRoot(this.db, this.root);
    if (run) {
      if (wanted !== 'auto' && (run.layout !== wanted || (wanted === 'pattern' && run.pattern !== this.options.pattern))) {
        const hasFrames = knownFiles(this.db, run.id).size > 0;
        if (hasFrames) {
          throw new Error(
            `${this.root} was ingested into this workspace with layout ${run.layout}` +
              `${run.pattern ? ` (pattern ${run.pattern})` : ''}; use the same layout or another workspace`,
          );
        }
        setRunLayout(this.db, run.id, wanted, this.options.pattern ?? null);
      }
      this.adoptRun(getRunByRoot(this.db, this.root)!);
    } else if (wanted !== 'auto') {
      const layout = layoutFor(wanted, this.options.pattern); // validates the pattern before a run exists
      this.adoptRun(createRun(this.db, { root: this.root, layout: layout.name, pattern: layout.pattern }));
    }
  }

  private adoptRun(run: RunRow): void {
    this.run = run;
    this.layout = withChannel(layoutFor(run.layout as LayoutName, run.pattern), this.options.channel);
    this.detectionMessage = null;
    for (const [path, file] of knownFiles(this.db, run.id)) this.known.set(path, file);
    // Files with an error from an earlier session are probed once more (they may have been fixed).
    for (const path of erroredPaths(this.db, run.id, 'ingest')) this.failed.set(path, { size: -1, mtimeMs: -1, retry: false });
  }

  /** Starts a new pass: per-pass counters reset. */
  beginPass(): void {
    this.pass = { ingested: 0, ignored: 0, errors: 0, newErrors: 0 };
    this.passIgnored.clear();
    this.passErrorKeys.clear();
  }

  /** Number of files waiting to be complete (or, before detection, waiting for a layout). */
  get pendingCount(): number {
    return this.candidates.size + this.undetected.size;
  }

  /** Number of source files with frames in the database. */
  get knownCount(): number {
    return this.known.size;
  }

  /**
   * Offers a file (relative path, '/' separators) seen by a scan or a change
   * event. Cheap: no I/O; known frame files of single-frame layouts are skipped.
   */
  offer(relPath: string, now = Date.now()): void {
    const name = relPath.slice(relPath.lastIndexOf('/') + 1);
    if (isTransientName(name) || this.candidates.has(relPath)) return;
    if (!this.layout) {
      this.undetected.add(relPath);
      return;
    }
    const known = this.known.get(relPath);
    if (known && !this.layout.stacks) return;
    const loc = this.layout.match(relPath);
    if (!loc || this.ignored.has(relPath)) {
      this.markIgnored(relPath);
      return;
    }
    // Another shard's nanowell: not ours to ingest, and not an ignored file either.
    if (this.options.nanowells && !this.options.nanowells(loc.block, loc.well)) return;
    const failed = this.failed.get(relPath);
    this.candidates.set(relPath, {
      size: known?.size ?? failed?.size ?? -1,
      mtimeMs: known?.mtimeMs ?? failed?.mtimeMs ?? -1,
      stableSince: now,
      nextCheck: now,
      observed: false,
    });
  }

  /**
   * Lists the whole tree and offers every file. Reports the root going missing
   * once (and coming back); returns the folders found, for change watchers.
   */
  async scan(): Promise<{ dirs: string[]; files: number; listedDirs: number }> {
    const listing = await listTree(this.root, { cache: this.dirCache, concurrency: this.options.concurrency ?? 8 });
    if (listing.rootMissing) {
      if (!this.rootMissing) {
        this.rootMissing = true;
        const p = listing.rootMissing;
        // Started before the microscope created the folder: wait for it, that is no error.
        // A folder that was there and went away (an unmounted share) is one.
        if (this.rootSeen) this.fail(null, 'watcher', `acquisition folder ${this.root} is not reachable (${p.code}): ${p.message}`, false, false);
        else this.options.log?.(`waiting for ${this.root} (it does not exist yet)`);
      }
      // Everything under a vanished root is re-offered by the scan that finds it back.
      this.candidates.clear();
      return { dirs: [], files: 0, listedDirs: 0 };
    }
    if (this.rootMissing) {
      this.rootMissing = false;
      this.options.log?.(this.rootSeen ? `acquisition folder ${this.root} is reachable again` : `acquisition folder ${this.root} appeared`);
    }
    this.rootSeen = true;
    if (!this.layout) await this.tryDetect(listing.files);
    for (const problem of listing.problems) {
      if (problem.code === 'ENOENT') continue; // removed while listing
      this.fail(problem.path, 'ingest', `cannot list folder (${problem.code}): ${problem.message}`, true);
    }
    const now = Date.now();
    for (const f of listing.files) this.offer(f, now);
    // Recorded once a run exists (its rows are unique per run and path; before detection there is none).
    if (this.run) for (const x of listing.ignored) this.ignoreWithReason(x.path, x.reason);
    if (this.layout) {
      // Files that disappeared are no longer ignored.
      if (this.ignored.size > 0) {
        const present = new Set(listing.files);
        for (const x of listing.ignored) present.add(x.path);
        for (const p of this.ignored) {
          if (present.has(p)) continue;
          this.ignored.delete(p);
          this.ignoredDirty = true;
        }
      }
      this.flushIgnored();
    }
    return { dirs: listing.dirs, files: listing.files.length, listedDirs: listing.listed };
  }

  /**
   * Ignores an entry that is never read (a link leaving the acquisition, a linked
   * folder, a dangling link, a FIFO, a device): counted with the ignored files and
   * listed once, with its reason, among the workspace's errors (source 'ignored').
   */
  private ignoreWithReason(relPath: string, reason: string): void {
    this.candidates.delete(relPath);
    this.markIgnored(relPath);
    const row = recordError(this.db, { runId: this.run?.id ?? null, source: 'ignored', path: relPath, message: `ignored, not read: ${reason}` });
    if (row) this.options.bus?.emit({ type: 'error', entry: toErrorEntry(row) });
  }

  private markIgnored(relPath: string): void {
    if (!this.ignored.has(relPath)) {
      this.ignored.add(relPath);
      this.ignoredDirty = true;
      this.total.ignored++;
    }
    if (!this.passIgnored.has(relPath)) {
      this.passIgnored.add(relPath);
      this.pass.ignored++;
    }
  }

  private async tryDetect(files: readonly string[]): Promise<void> {
    const detection = await detectLayout(this.root, files);
    if (!detection.layout) {
      this.detectionMessage = detection.message;
      return;
    }
    const run = getRunByRoot(this.db, this.root);
    this.adoptRun(run ?? createRun(this.db, { root: this.root, layout: detection.layout.name, pattern: detection.layout.pattern }));
    this.options.log?.(`layout detected: ${detection.layout.name} (${detection.matched} of ${detection.sampled} sampled files)`);
    const waiting = [...this.undetected];
    this.undetected.clear();
    const now = Date.now();
    for (const p of waiting) this.offer(p, now);
  }

  private flushIgnored(): void {
    if (this.ignoredDirty && this.run) {
      setIgnoredFiles(this.db, this.run.id, this.ignored.size);
      this.ignoredDirty = false;
    }
  }

  /** Earliest time a waiting file needs a check, or null when none waits. */
  nextDue(): number | null {
    let due: number | null = null;
    for (const c of this.candidates.values()) if (due === null || c.nextCheck < due) due = c.nextCheck;
    return due;
  }

  /**
   * Checks every waiting file that is due: stat, probe when stable, insert the
   * complete ones (one transaction per slice of files). Returns the number of
   * frames inserted; `onSlice` is called after each slice (progress bars).
   */
  async process(now = Date.now(), onSlice?: () => void): Promise<number> {
    if (this.busy) return 0;
    this.busy = true;
    try {
      // Detection is retried only when new files arrived since the last attempt.
      if (!this.layout && this.undetected.size > this.detectAttemptSize) {
        this.detectAttemptSize = this.undetected.size;
        await this.tryDetect([...this.undetected]);
      }
      const due = [...this.candidates].filter(([, c]) => c.nextCheck <= now);
      let inserted = 0;
      for (let i = 0; i < due.length; i += PROCESS_SLICE) {
        const ready: { path: string; cand: Candidate; probe: TiffProbe }[] = [];
        await forEachLimit(due.slice(i, i + PROCESS_SLICE), this.options.concurrency ?? DEFAULTS.concurrency, async ([path, cand]) => {
          const probe = await this.check(path, cand, now);
          if (probe) ready.push({ path, cand, probe });
        });
        inserted += this.insert(ready);
        onSlice?.();
      }
      this.flushIgnored();
      return inserted;
    } finally {
      this.busy = false;
    }
  }

  /** One check of a waiting file; returns its probe when it is ready to ingest. */
  private async check(path: string, cand: Candidate, now: number): Promise<TiffProbe | null> {
    let abs = resolve(this.root, path);
    let st;
    try {
      // The entry may have been replaced since the listing: a link is read only if it stays inside the acquisition.
      const link = await lstat(abs);
      if (link.isSymbolicLink()) {
        const reason = await linkReason(abs, this.realRoot);
        if (reason) {
          this.ignoreWithReason(path, reason);
          return null;
        }
        abs = await realpath(abs);
      }
      st = await stat(abs);
      const special = specialReason(st);
      if (special) {
        this.ignoreWithReason(path, special);
        return null;
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.candidates.delete(path);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.fail(path, 'ingest', `cannot read file (${code}): ${(err as Error).message}`, true);
      return null;
    }
    if (!st.isFile()) {
      this.candidates.delete(path);
      return null;
    }
    const known = this.known.get(path);
    const failed = this.failed.get(path);
    if (!cand.observed) {
      cand.observed = true;
      // Unchanged since it was ingested (a stack without new pages) or since it failed: nothing to do.
      if (known && known.size === st.size && known.mtimeMs === st.mtimeMs) {
        this.candidates.delete(path);
        return null;
      }
      if (failed && !failed.retry && failed.size === st.size && failed.mtimeMs === st.mtimeMs) {
        this.candidates.delete(path);
        return null;
      }
    }
    if (st.size !== cand.size || st.mtimeMs !== cand.mtimeMs) {
      cand.size = st.size;
      cand.mtimeMs = st.mtimeMs;
      cand.stableSince = now;
      cand.nextCheck = now + this.stableMs;
      return null;
    }
    if (now - cand.stableSince < this.stableMs) {
      cand.nextCheck = cand.stableSince + this.stableMs;
      return null;
    }
    let probe: TiffProbe;
    try {
      probe = await probeTiff(abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      this.candidates.delete(path);
      if (code === 'ENOENT') return null;
      const what = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot read file (${code ?? 'error'})`;
      this.fail(path, 'ingest', `${what}: ${(err as Error).message}`, true, true, st);
      return null;
    }
    if (probe.fileSize !== st.size) {
      // Grew between stat and probe: still being written.
      cand.size = probe.fileSize;
      cand.mtimeMs = -1;
      cand.stableSince = now;
      cand.nextCheck = now + this.stableMs;
      return null;
    }
    if (!probe.complete && probe.problem === 'not-tiff' && this.layout?.name === 'stack') {
      // In a stack layout every file is offered; content decides, and other files are not frames.
      this.candidates.delete(path);
      this.markIgnored(path);
      return null;
    }
    if (!probe.complete) {
      if (now - cand.stableSince >= this.settleMs) {
        this.candidates.delete(path);
        const message =
          probe.problem === 'not-tiff'
            ? (probe.reason ?? 'not a TIFF file')
            : probe.problem === 'empty'
              ? 'empty file (0 bytes)'
              : `${probe.problem ?? 'corrupt'} TIFF: ${probe.reason}`;
        this.fail(path, 'ingest', message, false, true, st);
      } else {
        cand.nextCheck = now + this.stableMs;
      }
      return null;
    }
    const unsupported = unsupportedReason(probe);
    if (unsupported) {
      this.candidates.delete(path);
      this.fail(path, 'ingest', `unsupported TIFF: ${unsupported}`, false, true, st);
      return null;
    }
    if (probe.width * probe.height > this.maxPixels) {
      // Refused from the header alone: decoding it would cost what the limit is there to prevent.
      this.candidates.delete(path);
      this.fail(
        path,
        'ingest',
        `frame too large: ${probe.width}×${probe.height} = ${probe.width * probe.height} pixels, above the maximum of ${this.maxPixels} (--max-pixels)`,
        false,
        true,
        st,
      );
      return null;
    }
    return probe;
  }

  /**
   * Inserts the frames of complete files. What is known in memory changes only
   * after the rows are committed: a failed transaction (disk full, database
   * busy) leaves the files unknown, and the next scan offers them again.
   */
  private insert(ready: { path: string; cand: Candidate; probe: TiffProbe }[]): number {
    if (!this.run || !this.layout || ready.length === 0) return 0;
    ready.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const rows: NewFrame[] = [];
    for (const { path, cand, probe } of ready) {
      this.candidates.delete(path);
      const loc = this.layout.match(path)!;
      const knownPages = this.known.get(path)?.pages;
      for (const f of framesOfFile(loc, probe.pages, probe.description)) {
        if (knownPages?.has(f.page)) continue;
        if (this.options.channel !== undefined && !channelMatches(f.channel, this.options.channel)) continue;
        rows.push({
          runId: this.run.id,
          block: loc.block,
          well: loc.well,
          t: f.t,
          channel: f.channel,
          path,
          page: f.page,
          width: probe.width,
          height: probe.height,
          bits: stationBits(probe),
          size: cand.size,
          mtimeMs: cand.mtimeMs,
        });
      }
    }
    let inserted = 0;
    // Files with a page not recorded (a duplicate time point, a row the database refused).
    const notRecorded = new Set<string>();
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const batch = rows.slice(i, i + INSERT_BATCH);
      const outcomes = this.insertRows(batch);
      outcomes.forEach((outcome, k) => {
        const row = batch[k]!;
        if (outcome === null) {
          notRecorded.add(row.path);
          return;
        }
        if (outcome.status === 'duplicate') {
          notRecorded.add(row.path);
          this.fail(
            row.path,
            'ingest',
            `duplicate time point: t=${row.t} channel ${row.channel} of nanowell ${wellLabel(row.block, row.well)} ` +
              `was already ingested from ${outcome.existingPath}`,
            false,
            true,
            row,
          );
          return;
        }
        this.knownEntry(row.path, row).pages.add(row.page);
        if (outcome.status === 'inserted') {
          inserted++;
          this.options.bus?.emit({ type: 'frame-ingested', frameId: outcome.frameId, wellId: outcome.wellId, t: row.t, path: row.path });
        }
      });
    }
    // Files now fully known (a stack without new pages included): remember the state they were read in.
    for (const { path, cand } of ready) {
      if (notRecorded.has(path)) continue;
      const entry = this.knownEntry(path, cand);
      entry.size = cand.size;
      entry.mtimeMs = cand.mtimeMs;
      this.failed.delete(path);
    }
    this.total.ingested += inserted;
    this.pass.ingested += inserted;
    this.ingestRate.add(inserted);
    return inserted;
  }

  /**
   * One transaction per batch; when the database refuses a row (a constraint:
   * a frame it cannot hold), the batch is retried row by row, so that row's file
   * fails alone with an error row and the others are ingested. Other failures
   * (disk full, database busy) still fail the batch: its files stay unknown and
   * the next scan offers them again.
   */
  private insertRows(batch: NewFrame[]): (InsertOutcome | null)[] {
    try {
      return insertFrames(this.db, batch);
    } catch (err) {
      if (!isRefusal(err)) throw err;
    }
    return batch.map((row) => {
      try {
        return insertFrames(this.db, [row])[0]!;
      } catch (err) {
        if (!isRefusal(err)) throw err;
        this.fail(row.path, 'ingest', `page ${row.page} cannot be recorded in the workspace database: ${(err as Error).message}`, false, true, row);
        return null;
      }
    });
  }

  private knownEntry(path: string, state: { size: number; mtimeMs: number }): KnownFile {
    let entry = this.known.get(path);
    if (!entry) {
      entry = { pages: new Set<number>(), size: state.size, mtimeMs: state.mtimeMs };
      this.known.set(path, entry);
    }
    return entry;
  }

  /** Counts a failure and writes its error row (once per path); emits `error` for new rows. */
  private fail(
    path: string | null,
    source: string,
    message: string,
    retry: boolean,
    remember = true,
    st?: { size: number; mtimeMs: number },
  ): void {
    // Counted once per file (or folder) and source, however often it is re-checked.
    const key = path === null ? null : `${source}\0${path}`;
    if (key === null || !this.errorKeys.has(key)) this.total.errors++;
    if (key === null || !this.passErrorKeys.has(key)) this.pass.errors++;
    if (key !== null) {
      this.errorKeys.add(key);
      this.passErrorKeys.add(key);
    }
    if (path !== null && remember) this.failed.set(path, { size: st?.size ?? -1, mtimeMs: st?.mtimeMs ?? -1, retry });
    const row = recordError(this.db, { runId: this.run?.id ?? null, source, path, message });
    if (row) {
      this.total.newErrors++;
      this.pass.newErrors++;
      const entry: ErrorEntry = toErrorEntry(row);
      this.options.bus?.emit({ type: 'error', entry });
    }
  }

  /**
   * Ingest queue progress: done = frames ingested by this ingestor, total =
   * done + files waiting; rate over the last minute (frames/s).
   */
  progress(startedAt: number, now = Date.now()): QueueProgress {
    const done = this.total.ingested;
    return queueProgress(done, done + this.pendingCount, this.ingestRate.perSecond(now, startedAt));
  }

  /** Summary of the current pass. */
  summary(durationMs: number): IngestSummary {
    return {
      root: this.root,
      runId: this.run?.id ?? null,
      layout: this.layout?.name ?? null,
      pattern: this.layout?.pattern ?? null,
      ...this.pass,
      pending: this.pendingCount,
      knownFiles: this.known.size,
      durationMs,
      ...(this.detectionMessage ? { detection: this.detectionMessage } : {}),
    };
  }
}

/** Error thrown by {@link ingestOnce} when no layout can be detected. */
export class LayoutDetectionError extends Error {}

/**
 * One ingest pass over `root`: lists the tree, checks every new file twice
 * `stableMs` apart, ingests the complete ones, records errors for corrupt or
 * truncated ones, and leaves files still being written for a later pass.
 * Throws {@link LayoutDetectionError} when the layout is 'auto' and nothing matches.
 */
export async function ingestOnce(
  root: string,
  db: Db,
  options: IngestOptions & { onProgress?: (p: QueueProgress) => void } = {},
): Promise<IngestSummary> {
  const started = Date.now();
  const ingestor = new AcquisitionIngestor(db, root, { ...options, settleMs: options.settleMs ?? options.stableMs ?? DEFAULTS.stableMs });
  ingestor.beginPass();
  await ingestor.scan();
  if (ingestor.rootMissing) {
    throw new Error(`acquisition folder ${ingestor.root} is not reachable`);
  }
  if (!ingestor.layout) throw new LayoutDetectionError(ingestor.detectionMessage ?? `no layout recognised in ${ingestor.root}`);
  // Round 1 observes sizes; round 2 (stableMs later) probes and ingests the stable ones.
  for (let round = 0; round < 2; round++) {
    if (round > 0) {
      const due = ingestor.nextDue();
      if (due === null) break;
      // Timers may fire a millisecond before Date.now() reaches `due`: wait until it has.
      while (Date.now() < due) await new Promise((r) => setTimeout(r, due - Date.now() + 1));
    }
    await processWithProgress(ingestor, started, options.onProgress);
  }
  return ingestor.summary(Date.now() - started);
}

/** Processes due files in slices so a progress callback sees large passes advance. */
async function processWithProgress(
  ingestor: AcquisitionIngestor,
  started: number,
  onProgress?: (p: QueueProgress) => void,
): Promise<void> {
  await ingestor.process(Date.now(), onProgress ? () => onProgress(ingestor.progress(started)) : undefined);
}
