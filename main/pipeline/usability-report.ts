/**
 * Per-nanowell OOF counts and video usability before restoration and after
 * model re-check, from the stored classifications: the one rule of
 * main/common/usability.ts with the `model-recheck` basis (a restored frame
 * counts as in focus when its restoration was re-classified in focus). What the
 * models alone achieve; the review app and exports count "usable after review".
 */
import type { UsabilityRule } from '../common/domain.js';
import { DEFAULT_USABILITY, oofAfterRestoration, videoChannel, videoUsability, type VideoFrame, type VideoUsability } from '../common/usability.js';
import type { Db } from '../store/database.js';
import { iterateFrameFlags, type FrameFlags } from '../store/queries/work.js';

/** A nanowell's OOF counts and its video's usability under the `model-recheck` basis. */
export interface WellUsability {
  wellId: number;
  /** Frames of the video (its phase-contrast channel). */
  frames: number;
  classified: number;
  oofBefore: number;
  /** Frames still OOF after model re-check (pending re-checks not counted). */
  oofAfterRecheck: number;
  /** OOF frames / classified frames before restoration (0 when none classified). */
  oofFraction: number;
  /** The one usability shape of common/usability.ts; `after` is "usable after model re-check". */
  usability: VideoUsability;
}

/** A stored frame as the usability rule sees it. */
export function videoFrameOfFlags(f: FrameFlags): VideoFrame {
  return {
    t: f.t,
    channel: f.channel,
    oof: f.oofBefore === null ? null : f.oofBefore === 1,
    restored: f.oofRestored !== null || f.state === 'restored',
    oofRestored: f.oofRestored === null ? null : f.oofRestored === 1,
    verdict: null,
    failed: f.state === 'failed',
  };
}

function summarise(wellId: number, rows: FrameFlags[], rule: UsabilityRule): WellUsability {
  const all = rows.map(videoFrameOfFlags);
  const channel = videoChannel(all);
  const video = all.filter((f) => f.channel === channel);
  const classified = video.filter((f) => f.oof !== null);
  const oofBefore = classified.filter((f) => f.oof).length;
  return {
    wellId,
    frames: video.length,
    classified: classified.length,
    oofBefore,
    oofAfterRecheck: classified.filter((f) => oofAfterRestoration(f, 'model-recheck') === true).length,
    oofFraction: classified.length ? oofBefore / classified.length : 0,
    usability: videoUsability(video, rule, 'model-recheck'),
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
