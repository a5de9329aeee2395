/**
 * Every frame with the focus judgement in force and what it rests on: the
 * model's classification of the original, the station's calibration, or the
 * nanowell's temporal rule. Read by `postfocus frames --json` and calibration.
 */
import type { FrameState } from '../../../preload/api.js';
import { preparedOnce, type Db } from '../database.js';

/** What the judgement in force rests on. */
export type JudgementBasis = 'model' | 'calibration' | 'temporal';

/** One frame as scripts see it (snake_case keys, ready for pandas). */
export interface FrameJudgementRow {
  frame_id: number;
  run_id: number;
  /** Acquisition root of the run (absolute, as recorded at ingest). */
  root: string;
  /** Source file relative to the acquisition root, '/' separators. */
  path: string;
  page: number;
  block: string;
  well: string;
  position: number;
  t: number;
  channel: string;
  state: FrameState;
  /** The classifier's p(OOF) of the original; null while not classified. */
  p_oof: number | null;
  /** The judgement in force; null while not classified. */
  oof: boolean | null;
  basis: JudgementBasis | null;
  /** Classifier that produced p_oof. */
  model_id: string | null;
  model_sha256: string | null;
  tenenbaum: number | null;
  vollath_f4: number | null;
  vollath_f5: number | null;
  norm_variance: number | null;
  laplacian_var: number | null;
}

interface RawRow extends Omit<FrameJudgementRow, 'oof' | 'basis'> {
  model_oof: number | null;
}

const SELECT = `SELECT f.id AS frame_id, n.run_id AS run_id, r.root, f.path, f.page, n.block, n.well, n.position,
    f.t, f.channel, f.state, c.p_oof, c.oof AS model_oof, c.model_id, c.model_sha256, c.tenenbaum,
    c.vollath_f4, c.vollath_f5, c.norm_variance, c.laplacian_var
  FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id
  LEFT JOIN classification c ON c.frame_id = f.id AND c.target = 'original'`;

const stmts = preparedOnce((db) => ({
  all: db.prepare<[], RawRow>(`${SELECT} ORDER BY n.run_id, n.block, n.position, n.well, f.t, f.channel`),
  ofRun: db.prepare<[number], RawRow>(
    `${SELECT} WHERE n.run_id = ? ORDER BY n.block, n.position, n.well, f.t, f.channel`,
  ),
}));

function toRow(raw: RawRow): FrameJudgementRow {
  const { model_oof, ...rest } = raw;
  const classified = model_oof !== null;
  return { ...rest, oof: classified ? model_oof === 1 : null, basis: classified ? 'model' : null };
}

/**
 * Every frame (of one run, or all) ordered by run, nanowell and time, with the
 * judgement in force. Streamed: a plate of 100k frames is not held in memory.
 */
export function* iterateFrameJudgements(db: Db, runId?: number): Generator<FrameJudgementRow> {
  const s = stmts(db);
  const rows = runId === undefined ? s.all.iterate() : s.ofRun.iterate(runId);
  for (const raw of rows) yield toRow(raw);
}
