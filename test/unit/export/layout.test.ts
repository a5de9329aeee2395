import { describe, expect, it } from 'vitest';
import { blockFolder, frameOutputPath, omeStackPath, safeSegment, timingPrefix } from '../../../main/export/layout.js';

const loc = { runId: 1, block: '2', well: 'imgNo7', t: 12, channel: '0', sourcePath: 'B2/images/crops_8bit_s/imgNo7CH0/imgNo7CH0_t12.tif' };

describe('export layout', () => {
  it('mirror reproduces the TIMING path of a TIMING source', () => {
    expect(frameOutputPath(loc, 'mirror', false)).toBe('B2/images/crops_8bit_s/imgNo7CH0/imgNo7CH0_t12.tif');
  });
  it('mirror builds a TIMING path for other sources', () => {
    expect(frameOutputPath({ ...loc, sourcePath: 'stack.ome.tif' }, 'mirror', false)).toBe(
      'B2/images/crops_8bit_s/imgNo7CH0/imgNo7CH0_t12.tif',
    );
  });
  it('per-well folders, channel suffix only for channel ≠ 0', () => {
    expect(frameOutputPath(loc, 'per-well', false)).toBe('B2/imgNo7/t12.tif');
    expect(frameOutputPath({ ...loc, channel: '1' }, 'per-well', false)).toBe('B2/imgNo7/t12_c1.tif');
  });
  it('prefixes run<id>/ when the workspace holds several runs', () => {
    expect(frameOutputPath(loc, 'per-well', true)).toBe('run1/B2/imgNo7/t12.tif');
    expect(omeStackPath(3, '2', 'imgNo7', true)).toBe('run3/ome/B2_imgNo7.ome.tif');
  });
  it('OME stack name B<block>_<well>.ome.tif', () => {
    expect(omeStackPath(1, '2', 'imgNo7', false)).toBe('ome/B2_imgNo7.ome.tif');
    expect(blockFolder('B4')).toBe('B4');
  });
  it('labels cannot escape the destination', () => {
    expect(safeSegment('../x/y')).toBe('___x_y');
    expect(safeSegment('..')).toBe('__');
    expect(frameOutputPath({ ...loc, well: '../../etc' }, 'per-well', false)).toBe('B2/___.._etc/t12.tif');
  });
  it('timingPrefix reads <prefix>_t<k>.tif', () => {
    expect(timingPrefix('a/b/imgNo1CH0_t73.tif')).toBe('imgNo1CH0');
    expect(timingPrefix('a/b/frame.tif')).toBeNull();
  });
});
