import { describe, expect, it } from 'vitest';
import { countNanowells, ensureNanowell, getNanowell, wellLabel, wellPosition } from '../../../../main/store/queries/nanowells.js';
import { createRun } from '../../../../main/store/queries/runs.js';
import { tempDbPerTest } from '../../../helpers/workspace.js';

const newDb = tempDbPerTest();

describe('nanowell queries', () => {
  it('derives the display position from the last number of the well name', () => {
    expect(wellPosition('imgNo012')).toBe(12);
    expect(wellPosition('7')).toBe(7);
    expect(wellPosition('a01_s2')).toBe(2);
    expect(wellPosition('center')).toBe(0);
    expect(wellLabel('1', 'imgNo001')).toBe('B1-imgNo001');
  });

  it('creates a nanowell once per (run, block, well)', () => {
    const t = newDb();
    const run = createRun(t.db, { root: '/acq', layout: 'timing' });
    const other = createRun(t.db, { root: '/acq2', layout: 'timing' });
    const w10 = ensureNanowell(t.db, run.id, { block: '1', well: 'imgNo010' });
    const w2 = ensureNanowell(t.db, run.id, { block: '1', well: 'imgNo002' });
    const b2 = ensureNanowell(t.db, run.id, { block: '2', well: 'imgNo001' });
    expect(ensureNanowell(t.db, run.id, { block: '1', well: 'imgNo010' })).toBe(w10);
    expect(ensureNanowell(t.db, other.id, { block: '1', well: 'imgNo010' })).not.toBe(w10);
    expect(ensureNanowell(t.db, run.id, { block: '1', well: 'imgNo002' })).toBe(w2);
    expect(getNanowell(t.db, w10)).toEqual({ id: w10, runId: run.id, block: '1', well: 'imgNo010', position: 10 });
    expect(getNanowell(t.db, b2)).toMatchObject({ block: '2', well: 'imgNo001', position: 1 });
    expect(countNanowells(t.db, run.id)).toBe(3);
  });
});
