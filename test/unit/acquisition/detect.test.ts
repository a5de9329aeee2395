import { afterEach, describe, expect, it } from 'vitest';
import { detectLayout } from '../../../main/acquisition/detect.js';
import { frameTiff, put, timingPath } from '../../helpers/acquisition.js';
import { encodeTestTiff, testImage } from '../../helpers/tiff-fixtures.mjs';
import { tempDir } from '../../helpers/workspace.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('detectLayout', () => {
  it('picks the name layout matching most sampled files', async () => {
    const paths = [timingPath(1, 1, 1), timingPath(1, 1, 2), 'Pos0/img_channel000_position000_time000000000_z000.tif', 'notes.txt'];
    const d = await detectLayout('/unused', paths);
    expect(d.layout?.name).toBe('timing');
    expect(d).toMatchObject({ matched: 2, sampled: 4 });
    // A TIMING tree with other channels stays TIMING; NIS-Elements exports are recognised by name.
    const channels = [timingPath(1, 1, 1), 'B1/images/crops_8bit_s/imgNo001CH1/imgNo001CH1_t1.tif', 'B1/images/crops_8bit_s/imgNo001CH2/imgNo001CH2_t1.tif'];
    expect((await detectLayout('/unused', channels)).layout?.name).toBe('timing');
    const nis = await detectLayout('/unused', ['20180101ef002xy01t01.tif', '20180101ef002xy01t02.tif', 'LICENSE']);
    expect(nis).toMatchObject({ layout: { name: 'nikon' }, matched: 2 });
  });

  it('recognises multi-page TIFF stacks by content', async () => {
    const t = tempDir('pf-detect-');
    cleanups.push(t.cleanup);
    const pages = [1, 2].map((k) => ({ width: 4, height: 4, data: testImage(4, 4, 8, k) }));
    put(t.dir, 'p1/well7.ome.tif', encodeTestTiff(pages));
    put(t.dir, 'p1/readme.txt', 'x');
    const d = await detectLayout(t.dir, ['p1/readme.txt', 'p1/well7.ome.tif']);
    expect(d.layout?.name).toBe('stack');
  });

  it('lists what was expected and what was found when nothing matches', async () => {
    const t = tempDir('pf-detect-');
    cleanups.push(t.cleanup);
    put(t.dir, 'x/frame1.tif', frameTiff(1));
    const d = await detectLayout(t.dir, ['x/frame1.tif', '.DS_Store']);
    expect(d.layout).toBeNull();
    if (d.layout === null) {
      expect(d.message).toMatch(/1 file\(s\) sampled, 1 single-page TIFF\(s\) with unrecognised names, e.g.:\n {4}x\/frame1\.tif/);
      expect(d.message).toMatch(/Expected one of:\n {2}- TIMING: .*\n {2}- Micro-Manager: .*\n {2}- Nikon NIS-Elements .*\n {2}- multi-page TIFF .*\n {2}- a user pattern/);
    }
    const empty = await detectLayout(t.dir, []);
    expect(empty.layout === null && empty.message).toMatch(/no files found yet/);
  });
});
