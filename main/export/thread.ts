/**
 * Runs a curated export in a worker thread (main/export/worker.ts) and relays
 * its progress. The thread opens its own connection to the workspace database
 * (WAL: the station keeps recording decisions meanwhile). One export per
 * destination at a time, checked here as well as in the thread.
 */
import { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import type { ExportResult } from '../common/domain.js';
import { findMainBundle } from '../pipeline/bundles.js';
import { ExportRefusedError } from './destination.js';
import type { ExportOptions, ExportProgress } from './export.js';

export interface ExportThreadJob {
  workspace: string;
  /** better_sqlite3.node of the running runtime (Electron passes its own). */
  nativeBinding?: string;
  options: Omit<ExportOptions, 'db' | 'workspace' | 'onProgress'>;
}

export type ExportThreadMessage =
  | { type: 'progress'; progress: ExportProgress }
  | { type: 'done'; result: ExportResult }
  | { type: 'failed'; name: string; message: string };

const running = new Set<string>();

/** Re-creates the thread's error with its class where the caller may test for it. */
function errorFrom(name: string, message: string): Error {
  const err = name === 'ExportRefusedError' ? new ExportRefusedError(message) : new Error(message);
  if (name !== 'ExportRefusedError') err.name = name;
  return err;
}

export function exportInThread(job: ExportThreadJob, onProgress?: (p: ExportProgress) => void): Promise<ExportResult> {
  const destination = resolve(job.options.destination);
  if (running.has(destination)) return Promise.reject(new ExportRefusedError(`an export to ${destination} is already running`));
  let script: string;
  try {
    script = findMainBundle('export-worker.js', 'export thread');
  } catch (err) {
    return Promise.reject(err);
  }
  running.add(destination);
  return new Promise<ExportResult>((done, fail) => {
    let settled = false;
    const settle = (f: () => void) => {
      if (settled) return;
      settled = true;
      running.delete(destination);
      f();
    };
    const worker = new Worker(script, { workerData: job });
    worker.on('message', (m: ExportThreadMessage) => {
      if (m.type === 'progress') onProgress?.(m.progress);
      else if (m.type === 'done') settle(() => done(m.result));
      else settle(() => fail(errorFrom(m.name, m.message)));
    });
    worker.on('error', (err) => settle(() => fail(new Error(`the export thread failed: ${err.message}`))));
    worker.on('exit', (code) => settle(() => fail(new Error(`the export thread exited (code ${code}) before finishing`))));
  });
}
