/**
 * A reviewed-workspace fixture: a small TIMING acquisition of synthetic frames
 * (sharp = in focus, blurred = out of focus), ingested and processed by the
 * real pipeline (forked inference worker, fixture models), so classification,
 * restoration rows and derived TIFFs are real.
 */
import { closeDb } from '../../../main/store/database.js';
import { ingest, makePipeline, tempDir, writeAcquisition } from '../../integration/pipeline-helpers.js';
import { join } from 'node:path';

export interface ProcessedWorkspace {
  acquisition: string;
  workspace: string;
  truth: Map<string, boolean>;
}

/** Writes, ingests and fully processes an acquisition; the database is closed afterwards. */
export async function processedWorkspace(prefix: string, options: { wells?: number; T?: number } = {}): Promise<ProcessedWorkspace> {
  const dir = tempDir(prefix);
  const acquisition = join(dir, 'acq');
  const workspace = join(dir, 'ws');
  const { truth } = writeAcquisition(acquisition, { wells: options.wells ?? 3, T: options.T ?? 6, size: 40 });
  const h = makePipeline(workspace);
  try {
    await ingest(acquisition, h.db);
    await h.pipeline.start();
    await h.pipeline.whenIdle();
    await h.pipeline.stop();
  } finally {
    closeDb(h.db);
  }
  return { acquisition, workspace, truth };
}
