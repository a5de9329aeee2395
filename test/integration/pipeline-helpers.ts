/**
 * Helpers of the pipeline integration tests: a TIMING-layout acquisition of
 * synthetic frames (sharp = in focus, blurred = out of focus, known per frame),
 * ingested with the acquisition module, and a pipeline on the fixture models
 * with the real forked worker (dist/main/inference-worker.js).
 */
import { join } from 'node:path';
import { ingestOnce } from '../../main/acquisition/ingest.js';
import { EventBus } from '../../main/common/event-bus.js';
import { forkHostFactory } from '../../main/pipeline/fork-host.js';
import { Pipeline, type PipelineOptions } from '../../main/pipeline/pipeline.js';
import { afterEach } from 'vitest';
import { closeDb, openWorkspaceDb, type Db } from '../../main/store/database.js';
import { syntheticFrame, writeFrame8, FIXTURE_MODELS, tempDir } from '../unit/inference/helpers.js';

export interface Acquisition {
  root: string;
  /** Relative path → whether the frame was written out of focus. */
  truth: Map<string, boolean>;
}

/** Writes wells × T frames of `size`² px; frame (well w, time t) is blurred when `oof(w, t)`. */
export function writeAcquisition(
  root: string,
  { wells = 2, T = 6, size = 40, oof = (w: number, t: number) => (w + t) % 3 === 0 } = {},
): Acquisition {
  const truth = new Map<string, boolean>();
  for (let w = 1; w <= wells; w++) {
    for (let t = 1; t <= T; t++) {
      const dir = join(root, 'B001', 'images', 'crops_8bit_s', `imgNo${w}CH0`);
      const blurred = oof(w, t);
      const rel = `B001/images/crops_8bit_s/imgNo${w}CH0/imgNo${w}CH0_t${t}.tif`;
      writeFrame8(dir, `imgNo${w}CH0_t${t}.tif`, syntheticFrame(size, size, w * 100 + t, blurred ? 16 : 0), size, size);
      truth.set(rel, blurred);
    }
  }
  return { root, truth };
}

export async function ingest(root: string, db: Db): Promise<number> {
  return (await ingestOnce(root, db, { stableMs: 0 })).ingested;
}

export interface Harness {
  db: Db;
  workspace: string;
  events: EventBus;
  pipeline: Pipeline;
  log: string[];
}

export function makePipeline(workspace: string, extra: Partial<PipelineOptions> = {}): Harness {
  const db = openWorkspaceDb(workspace);
  const events = new EventBus();
  const log: string[] = [];
  const pipeline = new Pipeline({
    db,
    workspace,
    events,
    modelsDir: FIXTURE_MODELS,
    hostFactory: forkHostFactory(),
    restore: { sampler: 'ddim', steps: 3, eta: 0, ensemble: 3 },
    threads: 1,
    log: (level, message) => log.push(`${level}: ${message}`),
    ...extra,
  });
  return { db, workspace, events, pipeline, log };
}

export { tempDir };

/** Rows of a table as plain objects. */
export function rows<T>(db: Db, sql: string, ...params: unknown[]): T[] {
  return db.prepare(sql).all(...params) as T[];
}

/** The harnesses a test file opens: each is stopped (worker included) and its database closed after every test. */
export function harnessesClosedAfterEach(): Harness[] {
  const open: Harness[] = [];
  afterEach(async () => {
    for (const h of open.splice(0)) {
      await h.pipeline.stop();
      closeDb(h.db);
    }
  });
  return open;
}

/** A pipeline on a fresh workspace, torn down with `open`, with the acquisition at `acqRoot` ingested and the pipeline started. */
export async function startedPipeline(open: Harness[], acqRoot: string, options: Parameters<typeof makePipeline>[1] = {}): Promise<Harness> {
  const h = makePipeline(tempDir('ws'), options);
  open.push(h);
  await ingest(acqRoot, h.db);
  await h.pipeline.start();
  return h;
}
