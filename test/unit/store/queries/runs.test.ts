import { describe, expect, it } from 'vitest';
import { createRun, getRunByRoot, listRuns, setIgnoredFiles, setRunLayout, toRunInfo } from '../../../../main/store/queries/runs.js';
import { tempDbPerTest } from '../../../helpers/workspace.js';

const newDb = tempDbPerTest();

describe('run queries', () => {
  it('creates a run once per root and finds it by root', () => {
    const t = newDb();
    const a = createRun(t.db, { root: '/acq/a', layout: 'timing', settings: { pixelUm: 0.325 } });
    expect(a).toMatchObject({ root: '/acq/a', layout: 'timing', pattern: null, ignoredFiles: 0 });
    expect(JSON.parse(a.settings)).toEqual({ pixelUm: 0.325 });
    expect(getRunByRoot(t.db, '/acq/a')).toEqual(a);
    expect(() => createRun(t.db, { root: '/acq/a', layout: 'timing' })).toThrow(/UNIQUE/);
    const b = createRun(t.db, { root: '/acq/b', layout: 'pattern', pattern: 'B{block}/W{well}/f_{t}.tif' });
    expect(listRuns(t.db).map((r) => r.root)).toEqual(['/acq/a', '/acq/b']);
    expect(b.pattern).toBe('B{block}/W{well}/f_{t}.tif');
  });

  it('updates layout and ignored-file counters', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    setRunLayout(t.db, run.id, 'pattern', '{well}.tif');
    setIgnoredFiles(t.db, run.id, 5);
    expect(getRunByRoot(t.db, '/acq')).toMatchObject({ layout: 'pattern', pattern: '{well}.tif', ignoredFiles: 5 });
    setIgnoredFiles(t.db, run.id, 1);
    const info = toRunInfo(getRunByRoot(t.db, '/acq')!);
    expect(info).toEqual({ id: run.id, root: '/acq', layout: 'pattern', createdAt: run.createdAt, ignoredFiles: 1 });
    expect(info.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
