import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromArrayBuffer } from 'geotiff';
import { afterAll, describe, expect, it } from 'vitest';
import { AcquisitionOptionError, TRUTH_CSV_HEADER, writeAcquisition, type AcquisitionOptions } from '../../../main/simulation/node/acquisition-writer.js';

const root = mkdtempSync(join(tmpdir(), 'pf-sim-acq-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function options(name: string, extra: Partial<AcquisitionOptions> = {}): AcquisitionOptions {
  return {
    acquisitionDir: join(root, name, 'acq'),
    truthDir: join(root, name, 'truth'),
    blocks: 1,
    wells: 3,
    frames: 4,
    layout: 'timing',
    preset: 'skov3',
    size: 48,
    bits: 8,
    seed: 3,
    threads: 1,
    entryUrl: import.meta.url,
    ...extra,
  };
}

async function pixels(path: string): Promise<number[]> {
  const b = readFileSync(path);
  const tiff = await fromArrayBuffer(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const img = await tiff.getImage(0);
  const [band] = (await img.readRasters()) as unknown as ArrayLike<number>[];
  return Array.from(band!);
}

describe('writeAcquisition', () => {
  it('writes frames in the TIMING layout and truth in a separate folder', async () => {
    const o = options('timing');
    const s = await writeAcquisition(o);
    expect(s.frames_written).toBe(12);
    const csv = readFileSync(join(o.truthDir, 'truth.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(TRUTH_CSV_HEADER);
    expect(csv[0]!.startsWith('path,dz_um,oof,focus_path')).toBe(true);
    expect(csv).toHaveLength(13);
    // t-major order across wells.
    expect(csv.slice(1, 4).map((l) => l.split(',')[0])).toEqual([
      'B1/images/crops_8bit_s/001CH0/imgNo1CH0_t1.tif',
      'B1/images/crops_8bit_s/002CH0/imgNo2CH0_t1.tif',
      'B1/images/crops_8bit_s/003CH0/imgNo3CH0_t1.tif',
    ]);
    for (const line of csv.slice(1)) {
      const [path, dz, oof, focusPath, maskPath] = line.split(',');
      expect(existsSync(join(o.acquisitionDir, path!))).toBe(true);
      expect(existsSync(join(o.truthDir, focusPath!))).toBe(true);
      expect(existsSync(join(o.truthDir, maskPath!))).toBe(true);
      expect(Number(oof)).toBe(Math.abs(Number(dz)) >= 5 ? 1 : 0);
      const a = Math.abs(Number(dz));
      expect(a <= 2.5 || (a >= 5 && a <= 10)).toBe(true);
    }
    // Nothing but frames in the acquisition.
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [e.name]));
    expect(walk(o.acquisitionDir).every((f) => f.endsWith('.tif'))).toBe(true);
    const first = await pixels(join(o.acquisitionDir, 'B1/images/crops_8bit_s/001CH0/imgNo1CH0_t1.tif'));
    expect(first).toHaveLength(48 * 48);
    const truth = JSON.parse(readFileSync(join(o.truthDir, 'truth.json'), 'utf8'));
    expect(truth.label_convention.oof_threshold_um).toBe(5);
    expect(truth.videos).toHaveLength(3);
  });

  it('same seed → identical files (Micro-Manager layout, 16-bit samples)', async () => {
    const a = options('det-a', { layout: 'micromanager', bits: 16 });
    const b = options('det-b', { layout: 'micromanager', bits: 16 });
    await writeAcquisition(a);
    await writeAcquisition(b);
    const rel = 'Pos002/img_channel000_position002_time000000003_z000.tif';
    expect(readFileSync(join(a.acquisitionDir, rel)).equals(readFileSync(join(b.acquisitionDir, rel)))).toBe(true);
    const px = await pixels(join(a.acquisitionDir, rel));
    expect(Math.max(...px)).toBeGreaterThan(255);
  });

  it('writes live at a rate, in chunks, in t-major order', async () => {
    const o = options('live', { frames: 2, wells: 2, rate: 50 });
    const s = await writeAcquisition(o);
    expect(s.requested_rate).toBe(50);
    expect(s.frames_written).toBe(4);
    expect(readdirSync(join(o.acquisitionDir, 'B1/images/crops_8bit_s/001CH0')).sort()).toEqual(['imgNo1CH0_t1.tif', 'imgNo1CH0_t2.tif']);
  });

  it('prerender: every frame rendered before the first is written live, and the same files as rendering while writing', async () => {
    const live = options('live-plain', { frames: 2, wells: 2, rate: 50 });
    const pre = options('live-pre', { frames: 2, wells: 2, rate: 50, prerender: true });
    const seenAtStart: { frames: number; truthRows: number }[] = [];
    pre.onLiveStart = () => {
      const frames = existsSync(pre.acquisitionDir) ? readdirSync(pre.acquisitionDir, { recursive: true }).filter((f) => String(f).endsWith('.tif')).length : 0;
      const focusTwins = readdirSync(join(pre.truthDir, 'focus'), { recursive: true }).filter((f) => String(f).endsWith('.tif')).length;
      seenAtStart.push({ frames, truthRows: focusTwins });
    };
    await writeAcquisition(live);
    const s = await writeAcquisition(pre);
    expect(seenAtStart).toEqual([{ frames: 0, truthRows: 4 }]); // once, with all 4 twins rendered and no frame written
    expect(s.frames_written).toBe(4);
    expect(readFileSync(join(pre.truthDir, 'truth.csv'), 'utf8')).toBe(readFileSync(join(live.truthDir, 'truth.csv'), 'utf8'));
    const rel = 'B1/images/crops_8bit_s/002CH0/imgNo2CH0_t2.tif';
    expect(readFileSync(join(pre.acquisitionDir, rel)).equals(readFileSync(join(live.acquisitionDir, rel)))).toBe(true);
  });

  it('refuses bad options before writing anything', async () => {
    const bad: [Partial<AcquisitionOptions>, RegExp][] = [
      [{ rate: -1 }, /--rate must be a positive/],
      [{ rate: 0 }, /--rate must be a positive/],
      [{ layout: 'zeiss' as never }, /unknown layout "zeiss"/],
      [{ preset: 'hela' as never }, /unknown preset "hela"/],
      [{ truthDir: join(root, 'bad', 'acq', 'truth') }, /inside the acquisition folder/],
      [{ frames: 0 }, /--frames must be a whole number/],
      [{ prerender: true }, /--prerender needs --rate/],
    ];
    for (const [extra, message] of bad) {
      const o = options('bad', extra);
      await expect(writeAcquisition(o)).rejects.toThrow(message);
      await expect(writeAcquisition(o)).rejects.toBeInstanceOf(AcquisitionOptionError);
      expect(existsSync(join(root, 'bad'))).toBe(false);
    }
    const full = options('full');
    mkdirSync(full.acquisitionDir, { recursive: true });
    writeFileSync(join(full.acquisitionDir, 'x.tif'), 'x');
    await expect(writeAcquisition(full)).rejects.toThrow(/is not empty/);
    expect(existsSync(full.truthDir)).toBe(false);
  });
});
