import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  framesOfFile,
  isTransientName,
  layoutFor,
  channelMatches,
  microManagerLayout,
  nikonLayout,
  parseImageJDimensions,
  parseOmeDimensions,
  patternLayout,
  stackLayout,
  timingLayout,
  withChannel,
} from '../../../main/acquisition/layouts.js';

describe('TIMING layout', () => {
  const timing = timingLayout();
  it('reads block, well and t from the PostFocus tree, any prefix, any single extension', () => {
    expect(timing.match('B1/images/crops_8bit_s/imgNo001CH0/imgNo001CH0_t12.tif')).toEqual({ block: '1', well: 'imgNo001', channel: '0', t: 12 });
    expect(timing.match('run7/B12/images/crops_8bit_s/imgNo0457CH0/anything_t73.tiff')).toEqual({ block: '12', well: 'imgNo0457', channel: '0', t: 73 });
    expect(timing.match('B2/images/crops_8bit_s/w9CH0/x_t1.png')?.t).toBe(1);
    expect(timing.match('B2/images/crops_8bit_s/w9CH0/x_t1')?.well).toBe('w9');
  });
  it('rejects other channels, other folders, t = 0 and double extensions', () => {
    expect(timing.match('B1/images/crops_8bit_s/imgNo001CH1/imgNo001CH1_t12.tif')).toBeNull();
    expect(timing.match('B1/images/crops_16bit_s/imgNo001CH0/imgNo001CH0_t12.tif')).toBeNull();
    expect(timing.match('B1/images/crops_8bit_s/imgNo001CH0/imgNo001CH0_t0.tif')).toBeNull();
    expect(timing.match('B1/images/crops_8bit_s/imgNo001CH0/imgNo001CH0_t3.tif.tmp')).toBeNull();
    expect(timing.match('B1/images/crops_8bit_s/imgNo001CH0/metadata.txt')).toBeNull();
  });
});

describe('Micro-Manager layout', () => {
  const mm = microManagerLayout();
  it('maps position folder → block, position → well, time + 1 → t, channel and z', () => {
    expect(mm.match('Pos12/img_channel000_position012_time000000034_z000.tif')).toEqual({ block: 'Pos12', well: '12', channel: '0', t: 35 });
    expect(mm.match('img_channel002_position003_time000000000_z000.tif')).toEqual({ block: '1', well: '3', channel: '2', t: 1 });
    expect(mm.match('Pos0/img_channel000_position000_time000000001_z004.tif')?.channel).toBe('0.z4');
    expect(mm.match('Pos3/img_000000007_Phase_000.tif')).toEqual({ block: 'Pos3', well: 'Pos3', channel: 'Phase', t: 8 });
    expect(mm.match('Pos3/metadata.txt')).toBeNull();
  });
});

describe('Nikon NIS-Elements layout', () => {
  const nikon = nikonLayout();
  it('reads position, time, plane and channel in any order after the prefix', () => {
    expect(nikon.match('20180101ef002xy01t01.tif')).toEqual({ block: '20180101ef002', well: '1', channel: '1', t: 1 });
    expect(nikon.match('run/exp_t003xy12c2.tif')).toEqual({ block: 'run/exp_', well: '12', channel: '2', t: 3 });
    expect(nikon.match('sample1xy2z3t4.tiff')).toEqual({ block: 'sample1', well: '2', channel: '1.z3', t: 4 });
    expect(nikon.match('expt7')).toEqual({ block: 'exp', well: '1', channel: '1', t: 7 });
  });
  it('needs a time index of at least 1; a repeated dimension belongs to the prefix', () => {
    expect(nikon.match('plate_xy01.tif')).toBeNull();
    expect(nikon.match('plate_xy01t00.tif')).toBeNull();
    expect(nikon.match('t1t2.tif')).toEqual({ block: 't1', well: '1', channel: '1', t: 2 });
    expect(nikon.match('notes.txt')).toBeNull();
  });
  it('when detecting, counts only names with a second dimension beside t (TIMING names are not its)', () => {
    const detecting = nikonLayout(true);
    expect(detecting.match('20180101ef002xy01t01.tif')?.well).toBe('1');
    expect(detecting.match('B1/images/crops_8bit_s/imgNo001CH1/imgNo001CH1_t12.tif')).toBeNull();
    expect(layoutFor('nikon').match('imgNo001CH1_t12.tif')?.t).toBe(12);
  });
});

describe('one channel (--channel)', () => {
  it('matches by name or by number, any plane', () => {
    expect(channelMatches('0', '000')).toBe(true);
    expect(channelMatches('2.z3', '2')).toBe(true);
    expect(channelMatches('Phase', 'Phase')).toBe(true);
    expect(channelMatches('1', '0')).toBe(false);
    expect(channelMatches('Phase', 'GFP')).toBe(false);
  });
  it('a single-frame file of another channel matches nothing; stacks are filtered by page at ingest', () => {
    const mm = withChannel(microManagerLayout(), '0');
    expect(mm.match('Pos1/img_channel000_position001_time000000002_z000.tif')).toEqual({ block: 'Pos1', well: '1', channel: '0', t: 3 });
    expect(mm.match('Pos1/img_channel001_position001_time000000002_z000.tif')).toBeNull();
    expect(withChannel(stackLayout(), '1').match('p1/well7.ome.tif')?.well).toBe('well7');
    expect(withChannel(nikonLayout(), '2').match('expxy1t3c2.tif')?.t).toBe(3);
  });
});

describe('user pattern layout', () => {
  it('compiles named fields to an anchored regex', () => {
    const p = patternLayout('B{block}/W{well}/frame_{t}.tif');
    expect(p.match('B3/W17/frame_5.tif')).toEqual({ block: '3', well: '17', channel: '0', t: 5 });
    expect(p.match('B3/W17/frame_5.tiff')).toBeNull();
    expect(p.match('x/B3/W17/frame_5.tif')).toBeNull();
    expect(p.match('B3/W17/frame_x.tif')).toBeNull();
    expect(p.stacks).toBe(false);
  });
  it('supports {channel}, * and **, and regex characters in literal parts', () => {
    const p = patternLayout('**/{well}_c{channel}_t{t}.*');
    expect(p.match('a/b/well(1)+_c2_t3.tif')).toEqual({ block: '1', well: 'well(1)+', channel: '2', t: 3 });
    expect(patternLayout('{well}.*').match('00_mcf_a01.tif')).toEqual({ block: '1', well: '00_mcf_a01', channel: '0' });
    expect(compilePattern('a.b/{well}?.tif').regex.test('a.b/w1x.tif')).toBe(true);
    expect(compilePattern('a.b/{well}?.tif').regex.test('aXb/w1x.tif')).toBe(false);
  });
  it('without {t}, files are stacks whose pages are the time points', () => {
    expect(patternLayout('{well}.ome.tif').stacks).toBe(true);
  });
  it('rejects patterns without {well}, with unknown or repeated fields', () => {
    expect(() => compilePattern('B{block}/frame_{t}.tif')).toThrow(/no \{well\} field/);
    expect(() => compilePattern('{well}/{time}.tif')).toThrow(/unknown field \{time\}/);
    expect(() => compilePattern('{well}/{well}.tif')).toThrow(/uses \{well\} twice/);
    expect(() => layoutFor('pattern')).toThrow(/needs a pattern/);
  });
});

describe('stack layout and pages', () => {
  it('one file per nanowell, block = parent folder', () => {
    expect(stackLayout().match('plate1/well_A01.ome.tif')).toEqual({ block: 'plate1', well: 'well_A01', channel: '0' });
    expect(stackLayout().match('w7.tif')).toEqual({ block: '1', well: 'w7', channel: '0' });
  });
  it('maps pages to time points, following OME DimensionOrder when channels or z are present', () => {
    const loc = { block: '1', well: 'w', channel: '0' };
    expect(framesOfFile(loc, 3)).toEqual([
      { page: 0, t: 1, channel: '0' },
      { page: 1, t: 2, channel: '0' },
      { page: 2, t: 3, channel: '0' },
    ]);
    const ome = '<OME xmlns="x"><Image><Pixels DimensionOrder="XYCZT" SizeC="2" SizeZ="1" SizeT="2" Type="uint16"/></Image></OME>';
    expect(parseOmeDimensions(ome)).toEqual({ order: 'XYCZT', sizeZ: 1, sizeC: 2, sizeT: 2 });
    expect(framesOfFile(loc, 4, ome).map((f) => `${f.page}:${f.t}/${f.channel}`)).toEqual(['0:1/0', '1:1/1', '2:2/0', '3:2/1']);
    expect(framesOfFile({ ...loc, t: 9 }, 5)).toEqual([{ page: 0, t: 9, channel: '0' }]);
    expect(parseOmeDimensions('plain description')).toBeNull();
  });
  it('maps the pages of an ImageJ hyperstack (channel fastest, then slice, then frame)', () => {
    const loc = { block: '1', well: 'w', channel: '0' };
    const ij = 'ImageJ=1.54f\nimages=6\nchannels=2\nslices=1\nframes=3\nhyperstack=true\nmode=composite\n';
    expect(parseImageJDimensions(ij)).toEqual({ order: 'XYCZT', sizeC: 2, sizeZ: 1, sizeT: 3 });
    expect(framesOfFile(loc, 6, ij).map((f) => `${f.page}:${f.t}/${f.channel}`)).toEqual(['0:1/0', '1:1/1', '2:2/0', '3:2/1', '4:3/0', '5:3/1']);
    // A plain ImageJ time series: pages are time points.
    expect(framesOfFile(loc, 2, 'ImageJ=1.54f\nimages=2\nframes=2\n').map((f) => f.t)).toEqual([1, 2]);
    expect(parseImageJDimensions('<OME/>')).toBeNull();
  });
});

describe('transient names', () => {
  it('treats hidden and temporary files as transient', () => {
    for (const n of ['.DS_Store', 'x.tif~', 'x.tif.part', 'x.tmp', '~$x', 'Thumbs.db']) expect(isTransientName(n), n).toBe(true);
    expect(isTransientName('imgNo001CH0_t1.tif')).toBe(false);
  });
});
