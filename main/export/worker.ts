/**
 * Export thread entry (dist/main/export-worker.js): runs one curated export on
 * its own database connection so the station's thread (Electron main, web
 * shell) stays responsive while TIFFs and OME stacks are written.
 * Messages to the parent: progress…, then exactly one of done / failed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { closeDb, isWorkspaceWritable, openWorkspaceDb } from '../store/database.js';
import { exportDataset } from './export.js';
import type { ExportThreadJob, ExportThreadMessage } from './thread.js';

async function run(job: ExportThreadJob): Promise<ExportThreadMessage> {
  // A read-only workspace exports from a snapshot (the export's record is not kept; its manifest is in the destination).
  const db = openWorkspaceDb(job.workspace, {
    ...(job.nativeBinding ? { nativeBinding: job.nativeBinding } : {}),
    ...(isWorkspaceWritable(job.workspace) ? {} : { readonly: true, scratch: true }),
  });
  try {
    const result = await exportDataset({
      ...job.options,
      db,
      workspace: job.workspace,
      onProgress: (progress) => parentPort!.postMessage({ type: 'progress', progress } satisfies ExportThreadMessage),
    });
    return { type: 'done', result };
  } finally {
    closeDb(db);
  }
}

if (parentPort) {
  run(workerData as ExportThreadJob).then(
    (message) => parentPort!.postMessage(message),
    (err: unknown) =>
      parentPort!.postMessage({
        type: 'failed',
        name: err instanceof Error ? err.name : 'Error',
        message: err instanceof Error ? err.message : String(err),
      } satisfies ExportThreadMessage),
  );
}
