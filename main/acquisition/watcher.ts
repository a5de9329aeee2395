/**
 * Live acquisition watcher: ingests frames while the microscope writes them.
 *
 * Change notifications make it fast; a periodic full rescan makes it correct
 * (events can be lost: network shares, inotify limits, folders created before
 * their watch was attached). `poll: true` uses rescans only (network shares,
 * where change notifications are unreliable).
 *
 * On macOS and Windows one native recursive watch covers the tree. On Linux,
 * Node 20's `recursive` is emulated in JavaScript (it walks the tree and races
 * with folders created while it does), so each folder gets its own watch here,
 * attached as folders are found, each new folder listed right after.
 *
 * Never writes to the acquisition folder; the only writes go to the workspace db.
 */
import { watch, type FSWatcher } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { QueueProgress } from '../common/domain.js';
import type { Db } from '../store/database.js';
import { AcquisitionIngestor, type IngestCounters, type IngestOptions } from './ingest.js';
import { listTree } from './scan.js';

export interface WatcherOptions extends IngestOptions {
  /** Rescan only, no change notifications (network shares). */
  poll?: boolean;
  /** Full rescan interval (ms); default 1000 with --poll, 5000 otherwise (raised on huge trees). */
  rescanMs?: number;
  /** Processing tick (ms, default 100). */
  tickMs?: number;
}

export type WatcherState = 'idle' | 'watching' | 'waiting-for-root' | 'stopped';

export interface WatcherStatus {
  state: WatcherState;
  root: string;
  runId: number | null;
  layout: string | null;
  /** Counters since start. */
  counters: IngestCounters;
  /** Counters of the latest full rescan pass. */
  lastPass: IngestCounters;
  progress: QueueProgress;
  /** Change notifications in use (false when polling). */
  notifications: boolean;
  watchedFolders: number;
  rescans: number;
  lastRescanMs: number;
  /** Why nothing is ingested yet, when auto-detection found no layout. */
  detection: string | null;
  /** The acquisition folder has existed since the watcher started (false: waiting for it to appear). */
  rootSeen: boolean;
}

/**
 * Watches an acquisition root and ingests each frame once, when complete.
 * `start()` resolves after the first full scan; `stop()` resolves when the
 * current round has finished (the database can be closed then).
 */
export class AcquisitionWatcher {
  readonly ingestor: AcquisitionIngestor;
  private readonly options: WatcherOptions;
  private state: WatcherState = 'idle';
  private readonly watchers = new Map<string, FSWatcher>();
  private recursiveWatcher: FSWatcher | null = null;
  private notifications: boolean;
  private readonly changed = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private startedAt = Date.now();
  private nextRescan = 0;
  private rescans = 0;
  private lastRescanMs = 0;
  private lastPass: IngestCounters = { ingested: 0, ignored: 0, errors: 0, newErrors: 0 };

  constructor(
    db: Db,
    readonly root: string,
    options: WatcherOptions = {},
  ) {
    this.options = options;
    this.ingestor = new AcquisitionIngestor(db, root, options);
    this.notifications = !options.poll;
  }

  /** Runs the first full scan and starts watching. */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error('watcher already started');
    this.startedAt = Date.now();
    this.state = 'watching';
    await this.rescan();
    this.loop = this.run();
  }

  /** Stops watching; resolves once the round in progress has committed. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.closeWatches();
    this.wake?.();
    if (this.timer) clearTimeout(this.timer);
    await this.loop;
  }

  /** Ingest queue progress (for the station's `Progress.ingest`). */
  progress(): QueueProgress {
    return this.ingestor.progress(this.startedAt);
  }

  status(): WatcherStatus {
    const ing = this.ingestor;
    return {
      state: this.state,
      root: ing.root,
      runId: ing.run?.id ?? null,
      layout: ing.layout?.name ?? null,
      counters: { ...ing.total },
      lastPass: { ...this.lastPass },
      progress: ing.progress(this.startedAt),
      notifications: this.notifications,
      watchedFolders: this.recursiveWatcher ? -1 : this.watchers.size,
      rescans: this.rescans,
      lastRescanMs: this.lastRescanMs,
      detection: ing.detectionMessage,
      rootSeen: ing.rootSeen,
    };
  }

  /** Read through a getter: TypeScript would otherwise keep a narrowing across awaits. */
  private get stopped(): boolean {
    return this.state === 'stopped';
  }

  private get rescanInterval(): number {
    const base = this.options.rescanMs ?? (this.options.poll ? 1000 : 5000);
    // Never spend more than ~20% of the time rescanning a huge tree.
    return Math.max(base, this.lastRescanMs * 5);
  }

  private async run(): Promise<void> {
    const tick = this.options.tickMs ?? 100;
    while (!this.stopped) {
      try {
        const now = Date.now();
        if (now >= this.nextRescan) await this.rescan();
        if (this.changed.size > 0) await this.drainChanges();
        await this.ingestor.process(Date.now());
      } catch (err) {
        // A failure of one round (e.g. the disk of the workspace is full) must not end the watcher.
        this.options.log?.(`watch round failed: ${(err as Error).message}`);
      }
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, tick);
      });
      this.wake = null;
    }
  }

  private async rescan(): Promise<void> {
    const started = Date.now();
    this.ingestor.beginPass();
    const wasMissing = this.ingestor.rootMissing;
    const { dirs } = await this.ingestor.scan();
    this.rescans++;
    this.lastRescanMs = Date.now() - started;
    this.nextRescan = Date.now() + this.rescanInterval;
    if (this.ingestor.rootMissing) {
      this.state = this.state === 'stopped' ? 'stopped' : 'waiting-for-root';
      this.closeWatches();
      return;
    }
    if (this.state === 'waiting-for-root') this.state = 'watching';
    if (wasMissing) this.closeWatches();
    if (this.notifications && this.state !== 'stopped') this.attachWatches(dirs);
    this.lastPass = { ...this.ingestor.pass };
  }

  private attachWatches(dirs: readonly string[]): void {
    if (process.platform === 'darwin' || process.platform === 'win32') {
      if (this.recursiveWatcher) return;
      try {
        this.recursiveWatcher = watch(this.ingestor.root, { recursive: true, persistent: false }, (_event, name) => {
          if (name) this.noteChange(String(name).split('\\').join('/'));
        });
        this.recursiveWatcher.on('error', () => this.dropRecursiveWatch());
      } catch {
        this.disableNotifications('recursive watch unavailable');
      }
      return;
    }
    for (const dir of ['', ...dirs]) this.watchDir(dir);
  }

  private watchDir(rel: string): void {
    if (this.watchers.has(rel) || !this.notifications) return;
    const abs = rel === '' ? this.ingestor.root : join(this.ingestor.root, rel);
    try {
      const w = watch(abs, { persistent: false }, (_event, name) => {
        if (name) this.noteChange(rel === '' ? String(name) : `${rel}/${String(name)}`);
      });
      w.on('error', () => {
        w.close();
        this.watchers.delete(rel);
      });
      this.watchers.set(rel, w);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOSPC: the inotify watch limit; rescans still find everything.
      if (code === 'ENOSPC' || code === 'EMFILE') this.disableNotifications(`folder watch limit reached (${code})`);
    }
  }

  private disableNotifications(why: string): void {
    if (!this.notifications) return;
    this.notifications = false;
    this.closeWatches();
    this.options.log?.(`change notifications off (${why}); polling every ${this.rescanInterval} ms`);
    if (!this.options.rescanMs) this.options.rescanMs = 1000;
  }

  private dropRecursiveWatch(): void {
    this.recursiveWatcher?.close();
    this.recursiveWatcher = null;
  }

  private closeWatches(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    this.dropRecursiveWatch();
  }

  private noteChange(relPath: string): void {
    if (this.state === 'stopped') return;
    this.changed.add(relPath);
  }

  /** Offers changed files; lists (and watches) new folders, whose files may predate the watch. */
  private async drainChanges(): Promise<void> {
    const paths = [...this.changed];
    this.changed.clear();
    const now = Date.now();
    for (const rel of paths) {
      let st;
      try {
        // lstat: a link or a special file is left to the rescan, which lists it as ignored with its reason.
        st = await lstat(join(this.ingestor.root, rel));
      } catch {
        continue; // removed again (a temporary file renamed away)
      }
      if (st.isSymbolicLink() || !(st.isFile() || st.isDirectory())) {
        this.nextRescan = Math.min(this.nextRescan, Date.now() + 200);
      } else if (st.isFile()) {
        this.ingestor.offer(rel, now);
      } else if (st.isDirectory()) {
        // A folder removed and created again keeps a stale watch on the old inode: renew it.
        this.watchers.get(rel)?.close();
        this.watchers.delete(rel);
        this.watchDir(rel);
        const sub = await listTree(join(this.ingestor.root, rel), { linkRoot: this.ingestor.root });
        for (const d of sub.dirs) this.watchDir(`${rel}/${d}`);
        for (const f of sub.files) this.ingestor.offer(`${rel}/${f}`, now);
      }
    }
  }
}
