import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inShard } from '../../../../main/common/shard.js';
import { insertFrames } from '../../../../main/store/queries/frames.js';
import { createRun, getRunByRoot } from '../../../../main/store/queries/runs.js';
import { claimShard, runCoverage, runShard, runSettings } from '../../../../main/store/queries/shards.js';
import { tempDb } from '../../../helpers/workspace.js';

const ROOT = '/data/acq';
let t: ReturnType<typeof tempDb>;
beforeEach(() => (t = tempDb()));
afterEach(() => t.cleanup());

function addWell(runId: number, well: string): void {
  insertFrames(t.db, [{ runId, block: '1', well, t: 1, channel: '0', path: `${well}/t1.tif`, page: 0, width: 8, height: 8, bits: 8, size: 1, mtimeMs: 1 }]);
}
const wellOf = (index: number, count: number) =>
  Array.from({ length: 50 }, (_, i) => `w${i}`).find((w) => inShard({ index, count }, '1', w))!;

describe('claimShard', () => {
  it('does nothing before the run exists, then records the shard on it, keeping other settings', () => {
    claimShard(t.db, '/ws', ROOT, { index: 1, count: 4 });
    expect(getRunByRoot(t.db, ROOT)).toBeUndefined();
    createRun(t.db, { root: ROOT, layout: 'timing', settings: { pixelSizeUm: 0.325 } });
    claimShard(t.db, '/ws', ROOT, { index: 1, count: 4 });
    const run = getRunByRoot(t.db, ROOT)!;
    expect(runShard(run)).toEqual({ index: 1, count: 4 });
    expect(runSettings(run).pixelSizeUm).toBe(0.325);
    expect(runCoverage(run)).toEqual({ count: 4, indices: [1] });
    claimShard(t.db, '/ws', ROOT, { index: 1, count: 4 }); // the same shard again: fine
  });

  it('refuses another shard or the whole acquisition in a shard workspace', () => {
    createRun(t.db, { root: ROOT, layout: 'timing', settings: { shard: '1/4' } });
    expect(() => claimShard(t.db, '/ws', ROOT, { index: 2, count: 4 })).toThrow(/workspace \/ws holds shard 1\/4 of \/data\/acq, not shard 2\/4/);
    expect(() => claimShard(t.db, '/ws', ROOT, { index: 1, count: 2 })).toThrow(/not shard 1\/2/);
    expect(() => claimShard(t.db, '/ws', ROOT, null)).toThrow(/not the whole acquisition: run with --shard 1\/4/);
  });

  it('refuses a shard in a workspace holding nanowells outside it, adopts one whose record was lost', () => {
    const run = createRun(t.db, { root: ROOT, layout: 'timing' });
    addWell(run.id, wellOf(0, 2));
    // Only shard 0's nanowells, no record (stopped between ingest and record): adopted.
    claimShard(t.db, '/ws', ROOT, { index: 0, count: 2 });
    expect(runShard(getRunByRoot(t.db, ROOT)!)).toEqual({ index: 0, count: 2 });
  });

  it('refuses a shard where a whole run was processed', () => {
    const run = createRun(t.db, { root: ROOT, layout: 'timing' });
    addWell(run.id, wellOf(0, 2));
    addWell(run.id, wellOf(1, 2));
    expect(() => claimShard(t.db, '/ws', ROOT, { index: 0, count: 2 })).toThrow(
      new RegExp(`holds nanowells of /data/acq outside shard 0/2 \\(B1-${wellOf(1, 2)}`),
    );
    claimShard(t.db, '/ws', ROOT, null); // the whole acquisition again: fine
  });

  it('refuses processing into a merged workspace', () => {
    createRun(t.db, { root: ROOT, layout: 'timing', settings: { shards: { count: 2, indices: [0, 1] }, merged: [] } });
    expect(() => claimShard(t.db, '/ws', ROOT, null)).toThrow(/is a merge of shards/);
    expect(runCoverage(getRunByRoot(t.db, ROOT)!)).toEqual({ count: 2, indices: [0, 1] });
  });
});
