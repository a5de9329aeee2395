/**
 * Review queries: the plate overview with per-well summaries, nanowell and frame
 * details, the append-only decision log (with undo as an appended row), bulk
 * rules and the error list. Reads and writes behind typed functions; statements
 * are prepared once per connection.
 *
 * Usability follows the one rule of main/common/usability.ts with the `review`
 * basis (as exports count it): a video is judged on its phase-contrast channel;
 * after review an OOF frame whose restoration a reviewer accepted counts as in focus.
 */
import type {
  BulkPreview,
  BulkRule,
  DecisionEntry,
  ErrorEntry,
  FocusMetrics,
  FrameDetail,
  FrameState,
  FrameSummary,
  NanowellDetail,
  RestorationInfo,
  ReviewState,
  Totals,
  UsabilityRule,
  Verdict,
  WellState,
  WellSummary,
} from '../../common/domain.js';
import { focusClass, videoFrameOf, type FrameFacts } from '../../common/export-policy.js';
import { videoUsability, type VideoFrame } from '../../common/usability.js';
import { nowIso, preparedOnce, type Db } from '../database.js';
import type { RestorationOutcome } from '../../common/restoration.js';
import { wellTotals } from '../../common/totals.js';
import { wellLabel } from './nanowells.js';

/** One frame as the review summaries need it. */
interface ReviewFrameRow extends Pick<FrameSummary, 'id' | 'wellId' | 't' | 'channel' | 'path' | 'state' | 'pOof' | 'pOofAfter'> {
  oofOriginal: number | null;
  hasRestoration: number;
  spreadMean: number | null;
  verdict: Verdict | null;
}

interface WellRow {
  id: number;
  runId: number;
  block: string;
  well: string;
  position: number;
}

// "OOF" is the judgement in force (temporal rule / calibration; the model's where none was written).
const FRAME_FACTS = `
  SELECT f.id, f.nanowell_id AS wellId, f.t, f.channel, f.path, f.state,
         coalesce(j.oof, c.oof) AS oofOriginal, c.p_oof AS pOof,
         (r.id IS NOT NULL) AS hasRestoration, ca.p_oof AS pOofAfter, r.spread_mean AS spreadMean,
         (SELECT d.verdict FROM decision d WHERE d.frame_id = f.id ORDER BY d.id DESC LIMIT 1) AS verdict
  FROM frame f
  LEFT JOIN classification c ON c.frame_id = f.id AND c.target = 'original'
  LEFT JOIN judgement j ON j.frame_id = f.id
  LEFT JOIN restoration r ON r.frame_id = f.id
  LEFT JOIN classification ca ON ca.frame_id = f.id AND ca.target = 'restored'`;

/** The columns the well summaries need (no paths or probabilities: the overview of a 200,000-frame run reads them all). */
const SUMMARY_FACTS = `
  SELECT f.nanowell_id AS wellId, f.t, f.channel, f.state, coalesce(j.oof, c.oof) AS oofOriginal,
         EXISTS (SELECT 1 FROM restoration r WHERE r.frame_id = f.id) AS hasRestoration,
         (SELECT d.verdict FROM decision d WHERE d.frame_id = f.id ORDER BY d.id DESC LIMIT 1) AS verdict
  FROM frame f
  LEFT JOIN classification c ON c.frame_id = f.id AND c.target = 'original'
  LEFT JOIN judgement j ON j.frame_id = f.id`;

/** What a well summary needs of one frame. */
type SummaryFacts = Pick<ReviewFrameRow, 'wellId' | 't' | 'channel' | 'state' | 'oofOriginal' | 'hasRestoration' | 'verdict'>;

const WELL_COLUMNS = `id, run_id AS runId, block, well, position`;

const stmts = preparedOnce((db) => ({
  allWells: db.prepare<[], WellRow>(`SELECT ${WELL_COLUMNS} FROM nanowell ORDER BY run_id, position, id`),
  wellsIn: db.prepare<[string], WellRow>(
    `SELECT ${WELL_COLUMNS} FROM nanowell WHERE id IN (SELECT value FROM json_each(?)) ORDER BY run_id, position, id`,
  ),
  wellById: db.prepare<[number], WellRow>(`SELECT ${WELL_COLUMNS} FROM nanowell WHERE id = ?`),
  allFacts: db.prepare<[], SummaryFacts>(`${SUMMARY_FACTS} ORDER BY f.nanowell_id, f.t, f.channel`),
  factsIn: db.prepare<[string], SummaryFacts>(
    `${SUMMARY_FACTS} WHERE f.nanowell_id IN (SELECT value FROM json_each(?)) ORDER BY f.nanowell_id, f.t, f.channel`,
  ),
  factsOfWell: db.prepare<[number], ReviewFrameRow>(`${FRAME_FACTS} WHERE f.nanowell_id = ? ORDER BY f.t, f.channel`),
  factsOfFrame: db.prepare<[number], ReviewFrameRow>(`${FRAME_FACTS} WHERE f.id = ?`),
  frameSource: db.prepare<[number], FrameSource>(
    `SELECT f.id, f.nanowell_id AS wellId, f.path, f.page, f.width, f.height, f.bits, r.root AS runRoot
     FROM frame f JOIN nanowell n ON n.id = f.nanowell_id JOIN run r ON r.id = n.run_id WHERE f.id = ?`,
  ),
  classification: db.prepare<[number, string], ClassificationRow>(
    `SELECT p_oof AS pOof, model_id AS modelId, tenenbaum, vollath_f4 AS vollathF4, vollath_f5 AS vollathF5,
            norm_variance AS normalizedVariance, laplacian_var AS laplacianVariance
     FROM classification WHERE frame_id = ? AND target = ?`,
  ),
  restoration: db.prepare<[number], RestorationRow>(
    `SELECT model_id AS modelId, model_sha256 AS modelSha256, sampler, steps, eta, ensemble, seeds,
            mean_path AS meanPath, spread_path AS spreadPath, members_path AS membersPath,
            spread_mean AS spreadMean, tenenbaum_before AS tenenbaumBefore, tenenbaum_after AS tenenbaumAfter,
            duration_ms AS durationMs, created_at AS createdAt
     FROM restoration WHERE frame_id = ?`,
  ),
  decisionsOfFrame: db.prepare<[number], DecisionRow>(
    `SELECT id, frame_id AS frameId, verdict, reviewer, note, rule, at FROM decision WHERE frame_id = ? ORDER BY id`,
  ),
  insertDecision: db.prepare<[number, string, string, string, string | null, string]>(
    `INSERT INTO decision (frame_id, verdict, reviewer, note, rule, at) VALUES (?, ?, ?, ?, ?, ?)`,
  ),
  bulkCandidates: db.prepare<[number, number], { id: number; wellId: number; verdict: Verdict | null }>(
    `SELECT f.id, f.nanowell_id AS wellId,
            (SELECT d.verdict FROM decision d WHERE d.frame_id = f.id ORDER BY d.id DESC LIMIT 1) AS verdict
     FROM restoration r
     JOIN frame f ON f.id = r.frame_id
     JOIN classification ca ON ca.frame_id = f.id AND ca.target = 'restored'
     WHERE ca.p_oof < ? AND r.spread_mean < ?
     ORDER BY f.nanowell_id, f.t, f.id`,
  ),
  errors: db.prepare<[number, number], ErrorEntry>(
    `SELECT id, source, path, message, at FROM error_log WHERE id < ? ORDER BY id DESC LIMIT ?`,
  ),
  errorCount: db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM error_log`),
  latestDecision: db.prepare<[], { id: number | null }>(`SELECT max(id) AS id FROM decision`),
  errorById: db.prepare<[number], ErrorEntry>(`SELECT id, source, path, message, at FROM error_log WHERE id = ?`),
}));

interface ClassificationRow extends FocusMetrics {
  pOof: number;
  modelId: string;
}

interface RestorationRow extends Omit<RestorationOutcome, 'seeds'> {
  /** JSON array as stored. */
  seeds: string;
  createdAt: string;
}

interface DecisionRow {
  id: number;
  frameId: number;
  verdict: Verdict;
  reviewer: string;
  note: string;
  rule: string | null;
  at: string;
}

/** Where a frame's pixels live: source file (relative to the run root) and derived files. */
export interface FrameSource {
  id: number;
  wellId: number;
  path: string;
  page: number;
  width: number;
  height: number;
  bits: number;
  runRoot: string;
}

/** Review state in force for a latest verdict ('clear' and none mean undecided). */
export function reviewStateOf(verdict: Verdict | null): ReviewState {
  return verdict === 'accept' ? 'accepted' : verdict === 'reject' ? 'rejected' : 'undecided';
}

function toFacts(f: SummaryFacts): FrameFacts {
  return {
    state: f.state,
    oofOriginal: f.oofOriginal === null ? null : f.oofOriginal === 1,
    hasRestoration: f.hasRestoration === 1,
    verdict: f.verdict,
  };
}

/**
 * Summary state of a well: failed frames first (they need attention), then
 * pending (nothing classified), in focus (no OOF frame), OOF (some OOF frame
 * not restored yet), restored (restorations awaiting a decision), decided.
 */
export function wellStateOf(s: Pick<WellSummary, 'classified' | 'oof' | 'restored' | 'accepted' | 'rejected' | 'failed'>, oofUnrestored: number): WellState {
  if (s.failed > 0) return 'failed';
  if (s.classified === 0) return 'pending';
  if (s.oof === 0) return 'in_focus';
  if (oofUnrestored > 0) return 'oof';
  if (s.accepted + s.rejected < s.restored) return 'restored';
  return 'decided';
}

/** Builds the summary of one well from its frames (any order). */
export function summarizeWell(well: WellRow, frames: readonly SummaryFacts[], rule: UsabilityRule): WellSummary {
  const counts = { classified: 0, oof: 0, restored: 0, accepted: 0, rejected: 0, failed: 0 };
  let oofUnrestored = 0;
  const video: VideoFrame[] = [];
  for (const f of frames) {
    const facts = toFacts(f);
    video.push(videoFrameOf({ ...facts, t: f.t, channel: f.channel }));
    const focus = focusClass(facts);
    if (focus !== 'unclassified') counts.classified++;
    if (focus === 'oof') {
      counts.oof++;
      if (!facts.hasRestoration && f.state !== 'failed') oofUnrestored++;
    }
    if (facts.hasRestoration) counts.restored++;
    if (f.verdict === 'accept') counts.accepted++;
    else if (f.verdict === 'reject') counts.rejected++;
    if (f.state === 'failed') counts.failed++;
  }
  const usability = videoUsability(video, rule, 'review');
  return {
    id: well.id,
    runId: well.runId,
    block: well.block,
    well: well.well,
    label: wellLabel(well.block, well.well),
    position: well.position,
    frames: frames.length,
    ...counts,
    oofFraction: counts.classified === 0 ? 0 : counts.oof / counts.classified,
    usableBefore: usability.before,
    usableAfter: usability.after,
    state: wellStateOf(counts, oofUnrestored),
  };
}

function groupByWell<T extends { wellId: number }>(rows: readonly T[]): Map<number, T[]> {
  const byWell = new Map<number, T[]>();
  for (const r of rows) {
    let list = byWell.get(r.wellId);
    if (!list) byWell.set(r.wellId, (list = []));
    list.push(r);
  }
  return byWell;
}

/** Summaries of every well of the workspace, in display order. */
export function allWellSummaries(db: Db, rule: UsabilityRule): WellSummary[] {
  const s = stmts(db);
  const byWell = groupByWell(s.allFacts.all());
  return s.allWells.all().map((w) => summarizeWell(w, byWell.get(w.id) ?? [], rule));
}

/** Summaries of the given wells (unknown ids are skipped), in display order. */
export function wellSummaries(db: Db, wellIds: readonly number[], rule: UsabilityRule): WellSummary[] {
  if (wellIds.length === 0) return [];
  const s = stmts(db);
  const ids = JSON.stringify([...new Set(wellIds)]);
  const byWell = groupByWell(s.factsIn.all(ids));
  return s.wellsIn.all(ids).map((w) => summarizeWell(w, byWell.get(w.id) ?? [], rule));
}

/** Totals over well summaries plus the error count. */
export function totalsOf(db: Db, wells: readonly WellSummary[]): Totals {
  return wellTotals(wells, stmts(db).errorCount.get()!.n);
}

function toFrameSummary(f: ReviewFrameRow): FrameSummary {
  return {
    id: f.id,
    wellId: f.wellId,
    t: f.t,
    channel: f.channel,
    path: f.path,
    state: f.state,
    pOof: f.pOof,
    pOofAfter: f.pOofAfter,
    review: reviewStateOf(f.verdict),
  };
}

/** A nanowell with its frames in time order; throws when the id is unknown. */
export function nanowellDetail(db: Db, wellId: number, rule: UsabilityRule): NanowellDetail {
  const s = stmts(db);
  const well = s.wellById.get(wellId);
  if (!well) throw new Error(`nanowell ${wellId} does not exist`);
  const frames = s.factsOfWell.all(wellId);
  return { well: summarizeWell(well, frames, rule), frames: frames.map(toFrameSummary) };
}

function toDecisionEntry(d: DecisionRow): DecisionEntry {
  return { id: d.id, frameId: d.frameId, verdict: d.verdict, reviewer: d.reviewer, note: d.note, at: d.at, rule: d.rule };
}

/** Everything known about a frame; throws when the id is unknown. */
export function frameDetail(db: Db, frameId: number): FrameDetail {
  const s = stmts(db);
  const facts = s.factsOfFrame.get(frameId);
  const source = s.frameSource.get(frameId);
  if (!facts || !source) throw new Error(`frame ${frameId} does not exist`);
  const r = s.restoration.get(frameId);
  const before = s.classification.get(frameId, 'original');
  const after = s.classification.get(frameId, 'restored');
  return {
    ...toFrameSummary(facts),
    width: source.width,
    height: source.height,
    bits: source.bits,
    classification: before ?? null,
    classificationAfter: after ?? null,
    restoration: r ? restorationInfoOf(r) : null,
    decisions: s.decisionsOfFrame.all(frameId).map(toDecisionEntry),
  };
}

/** The UI's view of a stored restoration: its fields without the workspace file paths, seeds parsed. */
function restorationInfoOf(row: RestorationRow): RestorationInfo {
  const { meanPath: _mean, spreadPath: _spread, membersPath: _members, seeds, ...info } = row;
  return { ...info, seeds: parseSeeds(seeds) };
}

function parseSeeds(text: string): number[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
  } catch {
    return [];
  }
}

/** Source location of a frame's pixels (original file, page and run root). */
export function frameSource(db: Db, frameId: number): FrameSource {
  const src = stmts(db).frameSource.get(frameId);
  if (!src) throw new Error(`frame ${frameId} does not exist`);
  return src;
}

/** Derived files of a restored frame (relative to the workspace), or undefined. */
export function restorationFiles(
  db: Db,
  frameId: number,
): { meanPath: string; spreadPath: string; membersPath: string | null; ensemble: number; createdAt: string } | undefined {
  const r = stmts(db).restoration.get(frameId);
  return r
    ? { meanPath: r.meanPath, spreadPath: r.spreadPath, membersPath: r.membersPath, ensemble: r.ensemble, createdAt: r.createdAt }
    : undefined;
}

/** Result of a write of decisions: new row ids and the wells they touch. */
export interface DecisionWrite {
  decisionIds: number[];
  wellIds: number[];
}

/**
 * Appends one decision per frame, in one transaction. Only restored frames can
 * be accepted or rejected (the decision is about the restoration); every id must
 * exist, or nothing is written.
 */
export function appendDecisions(
  db: Db,
  input: { frameIds: readonly number[]; verdict: Verdict; reviewer: string; note?: string; rule?: string | null },
): DecisionWrite {
  return writeDecisions(db, input.frameIds, input.reviewer, (frameId, facts) => {
    if (facts.hasRestoration !== 1) {
      throw new Error(`frame ${frameId} has no restoration to accept or reject (state ${facts.state})`);
    }
    return { verdict: input.verdict, note: input.note ?? '', rule: input.rule ?? null };
  });
}

/** Marker stored in `decision.rule` of a row that undoes an earlier one. */
interface UndoMarker {
  undoOf: number;
}

function undoTarget(rule: string | null): number | null {
  if (!rule) return null;
  try {
    const v = JSON.parse(rule) as Partial<UndoMarker>;
    return typeof v.undoOf === 'number' ? v.undoOf : null;
  } catch {
    return null;
  }
}

/**
 * The decisions of a frame still in force, oldest first: every row that undoes
 * an earlier one removes it (undo works as a stack, so undo twice steps back
 * twice rather than redoing).
 */
export function decisionStack(rows: readonly DecisionRow[]): DecisionRow[] {
  const stack: DecisionRow[] = [];
  for (const row of rows) {
    const target = undoTarget(row.rule);
    if (target !== null) {
      const i = stack.findIndex((d) => d.id === target);
      if (i >= 0) stack.splice(i, 1);
    } else {
      stack.push(row);
    }
  }
  return stack;
}

/**
 * Undoes the latest decision in force of each frame by appending a row with the
 * verdict that was in force before it ('clear' when none). The log is never
 * edited. Throws (writing nothing) when a frame has nothing to undo.
 */
export function appendUndo(db: Db, input: { frameIds: readonly number[]; reviewer: string }): DecisionWrite {
  const s = stmts(db);
  return writeDecisions(db, input.frameIds, input.reviewer, (frameId, facts) => {
    const stack = decisionStack(s.decisionsOfFrame.all(frameId));
    const undone = stack.pop();
    if (!undone) throw new Error(`t=${facts.t} (frame ${frameId}) has no decision to undo`);
    const marker: UndoMarker = { undoOf: undone.id };
    return { verdict: stack.at(-1)?.verdict ?? 'clear', note: `undo of decision ${undone.id} (${undone.verdict})`, rule: JSON.stringify(marker) };
  });
}

/**
 * Appends one decision row per frame in one transaction, each by `reviewer` at the
 * same instant; `rowOf` says a frame's verdict, note and rule, or throws, and then
 * nothing is written. Unknown frames throw.
 */
function writeDecisions(
  db: Db,
  frameIds: readonly number[],
  reviewer: string,
  rowOf: (frameId: number, facts: ReviewFrameRow) => { verdict: Verdict; note: string; rule: string | null },
): DecisionWrite {
  const s = stmts(db);
  const at = nowIso();
  return db.transaction(() => {
    const decisionIds: number[] = [];
    const wellIds = new Set<number>();
    for (const frameId of frameIds) {
      const facts = s.factsOfFrame.get(frameId);
      if (!facts) throw new Error(`frame ${frameId} does not exist`);
      const row = rowOf(frameId, facts);
      decisionIds.push(Number(s.insertDecision.run(frameId, row.verdict, reviewer, row.note, row.rule, at).lastInsertRowid));
      wellIds.add(facts.wellId);
    }
    return { decisionIds, wellIds: [...wellIds] };
  })();
}

function bulkMatches(db: Db, rule: BulkRule): { id: number; wellId: number }[] {
  const undecidedOnly = rule.undecidedOnly ?? true;
  return stmts(db)
    .bulkCandidates.all(rule.maxPOofAfter, rule.maxSpread)
    .filter((r) => !undecidedOnly || r.verdict === null || r.verdict === 'clear');
}

/** Restored frames a bulk rule would accept. */
export function previewBulkRule(db: Db, rule: BulkRule): BulkPreview {
  const matches = bulkMatches(db, rule);
  return { count: matches.length, frameIds: matches.map((m) => m.id) };
}

/**
 * Accepts the previewed frames (`frameIds`) that the rule still matches, in one
 * transaction (the rule is kept on each row). A frame restored after the
 * preview is never decided by it; a previewed frame that stopped matching
 * (decided or restored again meanwhile) is skipped and reported.
 */
export function applyBulkRule(
  db: Db,
  input: { rule: BulkRule; frameIds: readonly number[]; reviewer: string; note?: string },
): DecisionWrite & { count: number; frameIds: number[]; skipped: number[] } {
  return db.transaction(() => {
    const matching = new Set(bulkMatches(db, input.rule).map((m) => m.id));
    const frameIds = input.frameIds.filter((id) => matching.has(id));
    const skipped = input.frameIds.filter((id) => !matching.has(id));
    const rule = JSON.stringify({
      maxPOofAfter: input.rule.maxPOofAfter,
      maxSpread: input.rule.maxSpread,
      undecidedOnly: input.rule.undecidedOnly ?? true,
    });
    const write = frameIds.length
      ? appendDecisions(db, { frameIds, verdict: 'accept', reviewer: input.reviewer, note: input.note ?? '', rule })
      : { decisionIds: [], wellIds: [] };
    return { ...write, count: frameIds.length, frameIds, skipped };
  })();
}

/** Error log entries, newest first, before an id (for paging). */
export function listErrorEntries(db: Db, limit: number, beforeId?: number): ErrorEntry[] {
  return stmts(db).errors.all(beforeId ?? Number.MAX_SAFE_INTEGER, limit);
}

/** Id of the newest decision row (0 when none): lets a reader see a decision land. */
export function latestDecisionId(db: Db): number {
  return stmts(db).latestDecision.get()?.id ?? 0;
}

/** One error log entry, or undefined. */
export function errorEntry(db: Db, id: number): ErrorEntry | undefined {
  return stmts(db).errorById.get(id);
}
