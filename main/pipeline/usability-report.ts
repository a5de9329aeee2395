/**
 * Per-nanowell OOF fraction and video usability before and after restoration,
 * from the stored classifications (PostFocus rule, main/common/usability.ts).
 * A frame counts as OOF after restoration unless it was restored and its
 * restoration re-classified in focus.
 */
import type { UsabilityRule } from '../../preload/api.js';
import { DEFAULT_USABILITY, isUsable } from '../common/usability.js';
import type { Db } from '../store/database.js';
import { iterateFrameFlags, type FrameFlags } from '../store/queries/work.js';

export interface WellUsability {
  wellId: number;
  frames: number;
  classified: number;
  oofBefore: number;
  oofAfter: number;
  /** OOF frames / classified frames before restoration (0 when none classified). */
  oofFraction: number;
  /** null until every frame of the well is classified. */
  usableBefore: boolean | null;
  /** null until every frame is classified and every OOF frame restored-and-reclassified or failed. */
  usableAfter: boolean | null;
}

/** OOF flag of a frame after restoration (see the module comment). */
export function oofAfterRestoration(f: Pick<FrameFlags, 'oofBefore' | 'oofRestored'>): boolean {
  return f.oofBefore === 1 && f.oofRestored !== 0;
}

function summarise(wellId: number, rows: FrameFlags[], rule: UsabilityRule): WellUsability {
  const classified = rows.filter((r) => r.oofBefore !== null);
  const before = classified.map((r) => r.oofBefore === 1);
  const after = classified.map(oofAfterRestoration);
  const complete = classified.length === rows.length;
  const settled = complete && rows.every((r) => r.oofBefore === 0 || r.oofRestored !== null || r.state === 'failed');
  const oofBefore = before.filter(Boolean).length;
  return {
    wellId,
    frames: rows.length,
    classified: classified.length,
    oofBefore,
    oofAfter: after.filter(Boolean).length,
    oofFraction: classified.length ? oofBefore / classified.length : 0,
    usableBefore: complete ? isUsable(before, rule) : null,
    usableAfter: settled ? isUsable(after, rule) : null,
  };
}

/** Usability of every nanowell of the workspace, in nanowell id order (streamed from SQLite). */
export function wellUsability(db: Db, rule: UsabilityRule = DEFAULT_USABILITY): WellUsability[] {
  const out: WellUsability[] = [];
  let current: FrameFlags[] = [];
  for (const row of iterateFrameFlags(db)) {
    if (current.length && current[0]!.wellId !== row.wellId) {
      out.push(summarise(current[0]!.wellId, current, rule));
      current = [];
    }
    current.push(row);
  }
  if (current.length) out.push(summarise(current[0]!.wellId, current, rule));
  return out;
}
