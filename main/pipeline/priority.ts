/**
 * Which OOF frame to restore next. A video is unusable when more than 5% of its
 * frames are OOF or two in a row are (the usability rule), so a restoration is
 * worth most where it can make a video usable: nanowells just over the rule
 * (fewest restorations needed) first, and inside them frames in a run of OOF
 * frames (one restoration breaks the run and lowers the fraction). Frames of
 * videos that are usable anyway come last; ties go to the oldest frame.
 *
 * "Fixed" counts a frame whose restoration is done (unless its re-check found
 * it still OOF) or in flight, so the ranking moves on to the next frame of the
 * same well instead of piling on it.
 */
import type { UsabilityRule } from '../common/domain.js';
import type { Db } from '../store/database.js';
import { seriesOfWells, type SeriesFrame } from '../store/queries/restore-priority.js';
import { restoreWork, type WorkItem } from '../store/queries/work.js';

/** Oldest waiting frames considered per pick: bounds the cost of a pick when a plate has many OOF frames. */
export const PRIORITY_WINDOW = 500;

/** Why a waiting frame ranks where it does. */
export interface RestorePriority {
  frameId: number;
  /** Restorations its video still needs to become usable (0: usable already). */
  needed: number;
  /** The frame is in a run of at least `maxConsecutiveOof` OOF frames. */
  inRun: boolean;
}

/** Whether a frame still counts as OOF for its video's usability. */
function stillOof(f: SeriesFrame): boolean {
  if (f.oof !== 1) return false;
  if (f.inFlight) return false;
  if (f.state === 'restored' && f.oofRestored !== 1) return false;
  return true;
}

/**
 * Ranks frames waiting for restoration (`waiting`, frame ids) by how much their
 * restoration does for their video's usability; `series` holds every frame of
 * their nanowells, ordered by well, channel and time. Returns the waiting frames
 * found in `series`, best first.
 */
export function rankRestorations(waiting: readonly number[], series: readonly SeriesFrame[], rule: UsabilityRule): RestorePriority[] {
  const wanted = new Set(waiting);
  const out: RestorePriority[] = [];
  let i = 0;
  while (i < series.length) {
    let j = i;
    while (j < series.length && series[j]!.wellId === series[i]!.wellId && series[j]!.channel === series[i]!.channel) j++;
    const video = series.slice(i, j);
    i = j;
    const oof = video.map(stillOof);
    const count = oof.filter(Boolean).length;
    const allowed = Math.floor(rule.maxOofFraction * video.length + 1e-9);
    // Runs of OOF frames the rule forbids, and the frames of each run that must be restored to break it.
    const inRun = new Array<boolean>(video.length).fill(false);
    let breaks = 0;
    for (let k = 0; k < video.length; ) {
      if (!oof[k]) {
        k++;
        continue;
      }
      let e = k;
      while (e < video.length && oof[e]) e++;
      if (e - k >= rule.maxConsecutiveOof) {
        breaks += Math.floor((e - k) / rule.maxConsecutiveOof);
        for (let m = k; m < e; m++) inRun[m] = true;
      }
      k = e;
    }
    const needed = Math.max(count - allowed, breaks, 0);
    video.forEach((f, k) => {
      if (wanted.has(f.frameId)) out.push({ frameId: f.frameId, needed, inRun: inRun[k]! });
    });
  }
  return out.sort(
    (a, b) =>
      Number(b.needed > 0) - Number(a.needed > 0) || a.needed - b.needed || Number(b.inRun) - Number(a.inRun) || a.frameId - b.frameId,
  );
}

/** The OOF frame to restore next (see the module comment), or null when none is waiting. */
export function nextRestoration(db: Db, rule: UsabilityRule): WorkItem | null {
  const waiting = restoreWork(db, PRIORITY_WINDOW);
  if (waiting.length <= 1) return waiting[0] ?? null;
  const ranked = rankRestorations(
    waiting.map((w) => w.frameId),
    seriesOfWells(db, waiting.map((w) => w.wellId)),
    rule,
  );
  const best = ranked[0];
  return (best && waiting.find((w) => w.frameId === best.frameId)) ?? waiting[0]!;
}
