/**
 * Composition of a Station from its concrete parts: the acquisition watcher,
 * the pipeline with its inference worker, and the curated export. The shells
 * (CLI web shell, Electron) call this; the CLI's batch run (`postfocus process`)
 * opens its workspace and composes its pipeline here too; tests build a Station
 * directly with the parts they need.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ExportPolicy, UsabilityRule } from '../common/domain.js';
import type { SamplerName, WorkerHostFactory } from '../inference/protocol.js';
import { AcquisitionWatcher } from '../acquisition/watcher.js';
import type { LayoutName } from '../acquisition/layouts.js';
import { checkWorkspaceLocation } from '../acquisition/location.js';
import { previewExport } from '../export/export.js';
import { exportInThread } from '../export/thread.js';
import { forkHostFactory } from '../pipeline/fork-host.js';
import { Pipeline, type PipelineOptions } from '../pipeline/pipeline.js';
import { EventBus } from '../common/event-bus.js';
import { closeDb, openWorkspaceDb, type Db } from '../store/database.js';
import { acquireWorkspaceLock } from '../store/workspace-lock.js';
import { Station, type ExportService, type StationContext, type StationOptions } from './station.js';

export interface OpenStationOptions {
  workspace: string;
  /** Acquisition folder to watch (read-only); omitted: review the workspace only. */
  acquisition?: string;
  /** Folder with models/manifest.json; omitted or missing: no classification/restoration. */
  modelsDir?: string;
  /** Disable the pipeline even when models exist (the reason is shown in the engine status). */
  noPipeline?: string;
  /** How to start the inference worker (Electron: utilityProcess; default: child_process.fork). */
  hostFactory?: WorkerHostFactory;
  nativeBinding?: string;
  usability?: UsabilityRule;
  appVersion?: string;
  /** Restoration settings (sampler, steps, ensemble size); default: the pipeline's. */
  restore?: { sampler?: SamplerName; steps?: number; ensemble?: number };
  /** Full rescan interval of the watcher (ms; default: the watcher's). */
  rescanMs?: number;
  /** Largest frame ingested and displayed, in pixels (default: DEFAULT_MAX_PIXELS). */
  maxPixels?: number;
  /** How the acquisition names its frames, and the one channel to read (default: detected, every channel). */
  layoutChoice?: { layout: LayoutName | 'auto'; pattern?: string; channel?: string };
  /** Diagnostics of the watcher and the pipeline (default: stderr). */
  log?: (message: string) => void;
}

/** Previews run on the station's connection; the export itself runs in a worker thread. */
function exporter(appVersion: string, nativeBinding: string | undefined) {
  return (ctx: StationContext): ExportService => ({
    preview: (policy: ExportPolicy) => previewExport(ctx.db, policy),
    start: (input) =>
      exportInThread(
        {
          workspace: ctx.workspace,
          ...(nativeBinding ? { nativeBinding } : {}),
          options: {
            destination: input.destination,
            policy: input.policy,
            merge: input.merge ?? false,
            usability: ctx.usability,
            appVersion,
          },
        },
        (p) => ctx.events.emit({ type: 'export', ...p }),
      ),
  });
}

/** Why the pipeline cannot run with these options, or null when it can. */
export function pipelineUnavailableReason(options: OpenStationOptions): string | null {
  if (options.noPipeline) return options.noPipeline;
  if (!options.modelsDir) return 'no models folder given';
  const manifest = join(resolve(options.modelsDir), 'manifest.json');
  if (!existsSync(manifest)) return `no models: ${manifest} does not exist (train or install models first)`;
  return null;
}

/** Opens the workspace and builds the station (not started: call `start()`). */
export async function openStation(options: OpenStationOptions): Promise<Station> {
  // Refused before anything is created: a workspace in (or holding) the acquisition would be written there.
  if (options.acquisition) checkWorkspaceLocation(options.workspace, options.acquisition);
  const stationOptions: StationOptions = {
    workspace: resolve(options.workspace),
    exporter: exporter(options.appVersion ?? 'unknown', options.nativeBinding),
  };
  if (options.nativeBinding) stationOptions.nativeBinding = options.nativeBinding;
  if (options.maxPixels !== undefined) stationOptions.maxPixels = options.maxPixels;
  if (options.usability) stationOptions.usability = options.usability;
  const log = options.log ?? ((m: string) => console.error(m));
  const reason = pipelineUnavailableReason(options);
  if (reason) {
    stationOptions.pipeline = reason;
  } else {
    const modelsDir = resolve(options.modelsDir!);
    const hostFactory = options.hostFactory ?? forkHostFactory();
    stationOptions.pipeline = (ctx) =>
      composePipeline(ctx, {
        modelsDir,
        hostFactory,
        usability: ctx.usability,
        ...(options.restore ? { restore: options.restore } : {}),
        log: (level, message) => log(`[pipeline ${level}] ${message}`),
      });
  }
  if (options.acquisition) {
    const root = resolve(options.acquisition);
    stationOptions.acquisition = (ctx) => {
      const watcher = new AcquisitionWatcher(ctx.db, root, {
        bus: ctx.events,
        log: (m) => log(`[watcher] ${m}`),
        ...(options.rescanMs !== undefined ? { rescanMs: options.rescanMs } : {}),
        ...(options.maxPixels !== undefined ? { maxPixels: options.maxPixels } : {}),
        ...options.layoutChoice,
      });
      return {
        start: () => watcher.start(),
        stop: () => watcher.stop(),
        progress: () => watcher.status().progress,
      };
    };
  }
  return new Station(stationOptions);
}

/** What a pipeline is built from besides its workspace: models, worker, restoration settings. */
export type PipelineParts = Omit<PipelineOptions, 'db' | 'workspace' | 'events' | 'hostFactory'> & { hostFactory?: WorkerHostFactory };

/** The one place a Pipeline is composed (the station's, and the CLI's batch run); the worker is forked unless given. */
export function composePipeline(on: { db: Db; workspace: string; events: EventBus }, parts: PipelineParts): Pipeline {
  return new Pipeline({ ...parts, db: on.db, workspace: on.workspace, events: on.events, hostFactory: parts.hostFactory ?? forkHostFactory() });
}

/** A workspace opened for one batch run: its database, its event bus and the processing lock, until close(). */
export interface BatchWorkspace {
  db: Db;
  workspace: string;
  events: EventBus;
  close(): void;
}

/**
 * Opens a workspace to process or watch an acquisition from the CLI (`postfocus process`, `watch`):
 * refuses a workspace in or around the acquisition, opens the database and takes
 * the processing lock (a second processing station is refused with a clear error).
 */
export function openBatchWorkspace(workspace: string, acquisition: string, role: 'process' | 'watch' = 'process'): BatchWorkspace {
  const root = resolve(workspace);
  checkWorkspaceLocation(root, acquisition);
  const db = openWorkspaceDb(root);
  let lock;
  try {
    lock = acquireWorkspaceLock(root, role);
  } catch (err) {
    closeDb(db);
    throw err;
  }
  let closed = false;
  return {
    db,
    workspace: root,
    events: new EventBus(),
    close() {
      if (closed) return;
      closed = true;
      closeDb(db);
      lock.release();
    },
  };
}
