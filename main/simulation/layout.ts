/**
 * File naming of simulated acquisitions (paths relative to the acquisition root,
 * always with forward slashes).
 *
 * timing:        B<block>/images/crops_8bit_s/<well>CH0/imgNo<well#>CH0_t<k>.tif
 *                block 1.., well "001".., k = 1..frames (TIMING / PostFocus layout;
 *                CH0 = phase contrast). The folder keeps its TIMING name for 16-bit too.
 * micromanager:  Pos<NNN>/img_channel000_position<NNN>_time<000000000>_z000.tif
 *                (Micro-Manager multi-file naming; positions number the nanowells of
 *                all blocks, (block − 1) · wells + (well − 1); time from 0).
 */
import type { LayoutName } from '../acquisition/layouts.js';

/** The layouts the virtual microscope writes (a subset of those ingest reads). */
export type SimulatedLayout = Extract<LayoutName, 'timing' | 'micromanager'>;
export const SIMULATED_LAYOUTS: readonly SimulatedLayout[] = ['timing', 'micromanager'];

/** Relative path of a frame; block, well and t are 1-based. */
export function framePath(layout: SimulatedLayout, block: number, well: number, t: number, wellsPerBlock: number): string {
  if (layout === 'timing') {
    const w = String(well).padStart(3, '0');
    return `B${block}/images/crops_8bit_s/${w}CH0/imgNo${well}CH0_t${t}.tif`;
  }
  const pos = String((block - 1) * wellsPerBlock + (well - 1)).padStart(3, '0');
  const time = String(t - 1).padStart(9, '0');
  return `Pos${pos}/img_channel000_position${pos}_time${time}_z000.tif`;
}
