/**
 * What `postfocus eval` compares with the ground truth: every frame with its
 * source file, its classifications before and after restoration, and its
 * restored mean, in nanowell and time order. "OOF before" is the judgement in
 * force (temporal rule / calibration, the model's where none was written):
 * what the station acted on.
 */
import type { Db } from '../database.js';
import type { FrameFlags } from './work.js';

export interface EvaluationFrame extends FrameFlags {
  id: number;
  block: string;
  root: string;
  path: string;
  page: number;
  meanPath: string | null;
  spreadMean: number | null;
}

/** Every frame of the workspace with what evaluation needs, ordered by nanowell, t, channel. */
export function evaluationFrames(db: Db): EvaluationFrame[] {
  return db
    .prepare<[], EvaluationFrame>(
      `SELECT f.id, f.nanowell_id AS wellId, n.block, f.t, f.channel, f.state, r.root, f.path, f.page,
              coalesce(j.oof, co.oof) AS oofBefore, cr.oof AS oofRestored, x.mean_path AS meanPath, x.spread_mean AS spreadMean
         FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id
         LEFT JOIN classification co ON co.frame_id = f.id AND co.target = 'original'
         LEFT JOIN classification cr ON cr.frame_id = f.id AND cr.target = 'restored'
         LEFT JOIN judgement j ON j.frame_id = f.id
         LEFT JOIN restoration x ON x.frame_id = f.id
        ORDER BY f.nanowell_id, f.t, f.channel`,
    )
    .all();
}
