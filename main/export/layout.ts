/**
 * Where each exported file goes inside the destination folder. Pure module (no
 * node): paths are POSIX-style and relative to the destination root.
 *
 * - mirror   (TIMING): `B<block>/images/crops_8bit_s/<well>CH<channel>/<prefix>_t<k>.tif`,
 *   `<prefix>` taken from the source file name when it follows TIMING's
 *   `<prefix>_t<k>.tif`, else `<well>CH<channel>`.
 * - per-well: `B<block>/<well>/t<k>.tif` (channel ≠ 0: `t<k>_c<channel>.tif`).
 * - OME-TIFF stacks: `ome/B<block>_<well>.ome.tif` — one flat folder, easy to drag
 *   into Fiji or napari.
 * A workspace holding more than one acquisition run gets a `run<id>/` prefix so
 * the runs cannot overwrite each other.
 */
import type { FrameLocation } from '../acquisition/layouts.js';
import type { ExportLayout } from '../common/domain.js';

/** A stored frame as the export names it: where ingest located it, its run and source path. */
export interface ExportedFrame extends Required<FrameLocation> {
  runId: number;
  /** Source path relative to the acquisition root (used for the TIMING prefix). */
  sourcePath: string;
}

/** Turns a database label into one safe path segment (no separators, no `..`). */
export function safeSegment(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, (dots) => '_'.repeat(dots.length));
  return cleaned.length > 0 ? cleaned : '_';
}

/** `B<block>` folder name; a block stored as `B3` is not doubled to `BB3`. */
export function blockFolder(block: string): string {
  return safeSegment(/^B/i.test(block) ? block : `B${block}`);
}

function runPrefix(runId: number, multiRun: boolean): string {
  return multiRun ? `run${runId}/` : '';
}

/** TIMING prefix of a source file name `<prefix>_t<k>.tif`, or null. */
export function timingPrefix(sourcePath: string): string | null {
  const base = sourcePath.split(/[\\/]/).pop() ?? '';
  const m = /^(.+)_t\d+\.tiff?$/i.exec(base);
  return m ? m[1]! : null;
}

/** Relative output path of one frame's TIFF. */
export function frameOutputPath(loc: ExportedFrame, layout: ExportLayout, multiRun: boolean): string {
  const run = runPrefix(loc.runId, multiRun);
  const block = blockFolder(loc.block);
  const well = safeSegment(loc.well);
  const channel = safeSegment(loc.channel);
  if (!Number.isInteger(loc.t) || loc.t < 0) throw new Error(`frame time point must be a whole number ≥ 0, got ${loc.t}`);
  if (layout === 'mirror') {
    const prefix = safeSegment(timingPrefix(loc.sourcePath) ?? `${loc.well}CH${loc.channel}`);
    return `${run}${block}/images/crops_8bit_s/${well}CH${channel}/${prefix}_t${loc.t}.tif`;
  }
  const suffix = loc.channel === '0' ? '' : `_c${channel}`;
  return `${run}${block}/${well}/t${loc.t}${suffix}.tif`;
}

/** Relative output path of a nanowell's OME-TIFF stack. */
export function omeStackPath(runId: number, block: string, well: string, multiRun: boolean): string {
  return `${runPrefix(runId, multiRun)}ome/${blockFolder(block)}_${safeSegment(well)}.ome.tif`;
}
