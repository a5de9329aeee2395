/**
 * What the restoration priority needs from the database: the time series of
 * the nanowells that have frames waiting for restoration (OOF by the judgement
 * in force, restored or not, re-checked or not). The ranking itself is in
 * main/pipeline/priority.ts.
 */
import { preparedOnce, type Db } from '../database.js';

/** One frame of a nanowell series, as the restoration priority sees it. */
export interface SeriesFrame {
  wellId: number;
  frameId: number;
  t: number;
  channel: string;
  state: string;
  /** OOF by the judgement in force (the model's where none was written); null before classification. */
  oof: number | null;
  /** Re-classification of the restoration: 1 still OOF, 0 in focus, null none yet. */
  oofRestored: number | null;
  /** A restoration attempt of this frame is in flight. */
  inFlight: number;
}

const stmts = preparedOnce((db) => ({
  series: db.prepare<[string], SeriesFrame>(
    `SELECT f.nanowell_id AS wellId, f.id AS frameId, f.t, f.channel, f.state,
            coalesce(j.oof, co.oof) AS oof, cr.oof AS oofRestored,
            EXISTS (SELECT 1 FROM attempt a WHERE a.frame_id = f.id AND a.kind = 'restore' AND a.finished_at IS NULL) AS inFlight
       FROM frame f
       LEFT JOIN classification co ON co.frame_id = f.id AND co.target = 'original'
       LEFT JOIN judgement j ON j.frame_id = f.id
       LEFT JOIN classification cr ON cr.frame_id = f.id AND cr.target = 'restored'
      WHERE f.nanowell_id IN (SELECT value FROM json_each(?))
      ORDER BY f.nanowell_id, f.channel, f.t`,
  ),
}));

/** Every frame of the given nanowells, ordered by nanowell, channel and time. */
export function seriesOfWells(db: Db, wellIds: readonly number[]): SeriesFrame[] {
  if (wellIds.length === 0) return [];
  return stmts(db).series.all(JSON.stringify([...new Set(wellIds)]));
}
