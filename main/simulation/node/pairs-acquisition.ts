/**
 * A pairs folder as an acquisition the station can ingest (TIMING layout), with a
 * labels CSV: every pair is one nanowell video of two frames, t1 = the input
 * (defocused, or identical to the target) and t2 = its in-focus twin. Frames keep the
 * pair's camera bit depth: 8-bit pairs as 8-bit TIFFs, 12/16-bit pairs as 16-bit TIFFs
 * holding 0…2^bits − 1 (a 12-bit camera in a 16-bit container, as real cameras write).
 * labels.csv (path,label,dz_um,dz_dof,modality,objective,scene) uses the paths relative
 * to the acquisition root, as `postfocus calibrate --labels` expects; label in_focus | oof.
 * Used to give calibration a microscope no model trained on (`--varied holdout`).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic, writeTiff } from '../../imaging/tiff-write.js';
import { framePath } from '../layout.js';
import type { PairsIndex } from './pairs-writer.js';

/** Writes the acquisition and labels.csv; returns the number of frames written. */
export function writePairsAcquisition(pairsDir: string, acqDir: string): { frames: number; labels: string } {
  const indexPath = join(pairsDir, 'index.json');
  if (!existsSync(indexPath)) throw new Error(`${pairsDir} holds no pairs (index.json missing)`);
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as PairsIndex;
  const { size, count } = index;
  if (existsSync(acqDir) && existsSync(join(acqDir, 'labels.csv'))) throw new Error(`${acqDir} already holds an acquisition (labels.csv); choose an empty folder`);
  const px = size * size;
  const bytes = px * 4;
  const buf = new Float32Array(px);
  const rows = ['path,label,dz_um,dz_dof,modality,objective,scene'];
  const fds = { oof: openSync(join(pairsDir, index.files.oof), 'r'), focus: openSync(join(pairsDir, index.files.focus), 'r') };
  try {
    for (let i = 0; i < count; i++) {
      const it = index.items[i]! as unknown as Record<string, unknown>;
      const bits = typeof it.bits === 'number' ? it.bits : 8;
      const max = 2 ** bits - 1;
      for (const [t, member] of [
        [1, 'oof'],
        [2, 'focus'],
      ] as const) {
        readSync(fds[member], new Uint8Array(buf.buffer), 0, bytes, i * bytes);
        const data = bits <= 8 ? Uint8Array.from(buf, (v) => Math.round(v * max)) : Uint16Array.from(buf, (v) => Math.round(v * max));
        const rel = framePath('timing', 1, i + 1, t, count);
        const path = join(acqDir, rel);
        mkdirSync(dirname(path), { recursive: true });
        writeTiff(path, { width: size, height: size, data });
        const oof = member === 'oof' ? Number(it.oof) === 1 : false;
        const dz = member === 'oof' ? Number(it.dz_um) : 0;
        const dzDof = member === 'oof' && typeof it.dz_dof === 'number' ? it.dz_dof : 0;
        rows.push([rel, oof ? 'oof' : 'in_focus', dz, dzDof, it.modality ?? '', it.objective ?? '', it.kind ?? ''].join(','));
      }
    }
  } finally {
    closeSync(fds.oof);
    closeSync(fds.focus);
  }
  const labels = join(acqDir, 'labels.csv');
  writeFileAtomic(labels, rows.join('\n') + '\n');
  return { frames: 2 * count, labels };
}
