import { describe, expect, it } from 'vitest';
import { countErrors, erroredPaths, listErrors, recordError, toErrorEntry } from '../../../../main/store/queries/errors.js';
import { createRun } from '../../../../main/store/queries/runs.js';
import { tempDbPerTest } from '../../../helpers/workspace.js';

const newDb = tempDbPerTest();

describe('error log queries', () => {
  it("records a file's error once per (run, source, path)", () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const first = recordError(t.db, { runId: run.id, source: 'ingest', path: 'a.tif', message: 'truncated TIFF: ...' });
    expect(first).toMatchObject({ runId: run.id, frameId: null, source: 'ingest', path: 'a.tif', message: 'truncated TIFF: ...' });
    expect(recordError(t.db, { runId: run.id, source: 'ingest', path: 'a.tif', message: 'again' })).toBeNull();
    expect(recordError(t.db, { runId: run.id, source: 'classify', path: 'a.tif', message: 'other source' })).not.toBeNull();
    // Errors without a path (folder unreachable, ...) are never merged.
    expect(recordError(t.db, { runId: run.id, source: 'watcher', message: 'gone' })).not.toBeNull();
    expect(recordError(t.db, { runId: run.id, source: 'watcher', message: 'gone' })).not.toBeNull();
    expect(countErrors(t.db, run.id)).toBe(4);
    expect(countErrors(t.db)).toBe(4);
    expect([...erroredPaths(t.db, run.id, 'ingest')]).toEqual(['a.tif']);
  });

  it('lists the latest errors first and pages with beforeId', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    for (let k = 0; k < 5; k++) recordError(t.db, { runId: run.id, source: 'ingest', path: `f${k}.tif`, message: `m${k}` });
    recordError(t.db, { runId: null, source: 'ipc', message: 'no run' });
    const first = listErrors(t.db, { limit: 3 });
    expect(first.map((e) => e.message)).toEqual(['no run', 'm4', 'm3']);
    const next = listErrors(t.db, { limit: 3, beforeId: first[2]!.id });
    expect(next.map((e) => e.message)).toEqual(['m2', 'm1', 'm0']);
    expect(listErrors(t.db, { limit: 10, runId: run.id })).toHaveLength(5);
    const entry = toErrorEntry(first[1]!);
    expect(Object.keys(entry).sort()).toEqual(['at', 'id', 'message', 'path', 'source']);
  });
});
