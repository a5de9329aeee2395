import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_USABILITY } from '../../../../main/common/usability.js';
import { closeDb, openWorkspaceDb, type Db } from '../../../../main/store/database.js';
import {
  allWellSummaries,
  appendDecisions,
  appendUndo,
  applyBulkRule,
  frameDetail,
  listErrorEntries,
  nanowellDetail,
  previewBulkRule,
  totalsOf,
  wellSummaries,
  wellStateOf,
} from '../../../../main/store/queries/review.js';
import { recordError } from '../../../../main/store/queries/errors.js';
import { processedWorkspace } from '../../station/fixture.js';
import { recordClassification, recordRestoration, startAttempts } from '../../../../main/store/queries/work.js';
import { createTestWorkspace, frameKey } from '../../../helpers/export/workspace.js';
import { tempDir } from '../../../helpers/workspace.js';

let db: Db;
let restoredIds: number[];

function frameIdsIn(state: string): number[] {
  return (db.prepare('SELECT id FROM frame WHERE state = ? ORDER BY id').all(state) as { id: number }[]).map((r) => r.id);
}

beforeAll(async () => {
  const w = await processedWorkspace('review-queries', { wells: 3, T: 6 });
  db = openWorkspaceDb(w.workspace);
  restoredIds = frameIdsIn('restored');
});
afterAll(() => closeDb(db));

describe('well summaries', () => {
  it('count frames, OOF and restorations per well from the real pipeline output', () => {
    const wells = allWellSummaries(db, DEFAULT_USABILITY);
    expect(wells).toHaveLength(3);
    const totals = totalsOf(db, wells);
    expect(totals.frames).toBe(18);
    expect(totals.classified).toBe(18);
    expect(totals.oof).toBe(restoredIds.length);
    expect(totals.restored).toBe(restoredIds.length);
    for (const w of wells) {
      expect(w.label).toMatch(/^B.+-.+$/);
      expect(w.oofFraction).toBeCloseTo(w.oof / w.classified, 10);
      // Every OOF frame restored, none decided yet: the well awaits review.
      expect(w.state).toBe(w.oof > 0 ? 'restored' : 'in_focus');
    }
  });

  it('match between the full and the per-well query', () => {
    const all = allWellSummaries(db, DEFAULT_USABILITY);
    const some = wellSummaries(db, [all[1]!.id, all[0]!.id, 999_999], DEFAULT_USABILITY);
    expect(some).toEqual([all[0], all[1]]);
  });

  it('derive the well state in priority order', () => {
    const base = { classified: 10, oof: 2, restored: 2, accepted: 0, rejected: 0, failed: 0 };
    expect(wellStateOf({ ...base, failed: 1 }, 0)).toBe('failed');
    expect(wellStateOf({ ...base, classified: 0 }, 0)).toBe('pending');
    expect(wellStateOf({ ...base, oof: 0 }, 0)).toBe('in_focus');
    expect(wellStateOf(base, 1)).toBe('oof');
    expect(wellStateOf(base, 0)).toBe('restored');
    expect(wellStateOf({ ...base, accepted: 1, rejected: 1 }, 0)).toBe('decided');
  });
});

describe('details', () => {
  it('give a nanowell its frames in time order', () => {
    const well = allWellSummaries(db, DEFAULT_USABILITY)[0]!;
    const d = nanowellDetail(db, well.id, DEFAULT_USABILITY);
    expect(d.frames.map((f) => f.t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(d.frames.every((f) => f.pOof !== null)).toBe(true);
    expect(() => nanowellDetail(db, 987_654, DEFAULT_USABILITY)).toThrow(/nanowell 987654 does not exist/);
  });

  it('give a restored frame its classification before and after, restoration and metrics', () => {
    const f = frameDetail(db, restoredIds[0]!);
    expect(f.state).toBe('restored');
    expect(f.classification?.pOof).toBeGreaterThanOrEqual(0.5);
    expect(f.classificationAfter).not.toBeNull();
    expect(f.restoration?.ensemble).toBe(3);
    expect(f.restoration?.seeds).toHaveLength(3);
    expect(f.width).toBe(40);
    expect(f.review).toBe('undecided');
    expect(() => frameDetail(db, 987_654)).toThrow(/frame 987654 does not exist/);
  });
});

describe('decisions', () => {
  it('are appended with who and when, and change the review state and the well summary', () => {
    const id = restoredIds[0]!;
    const before = frameDetail(db, id);
    const write = appendDecisions(db, { frameIds: [id], verdict: 'accept', reviewer: 'ana', note: 'sharp edges' });
    expect(write.decisionIds).toHaveLength(1);
    const after = frameDetail(db, id);
    expect(after.review).toBe('accepted');
    expect(after.decisions.at(-1)).toMatchObject({ verdict: 'accept', reviewer: 'ana', note: 'sharp edges', rule: null });
    expect(Date.parse(after.decisions.at(-1)!.at)).not.toBeNaN();
    const well = wellSummaries(db, [before.wellId], DEFAULT_USABILITY)[0]!;
    expect(well.accepted).toBe(1);
  });

  it('refuse frames without a restoration and unknown frames, writing nothing', () => {
    const inFocus = frameIdsIn('in_focus')[0]!;
    const count = () => (db.prepare('SELECT count(*) AS n FROM decision').get() as { n: number }).n;
    const n = count();
    expect(() => appendDecisions(db, { frameIds: [restoredIds[1]!, inFocus], verdict: 'accept', reviewer: 'ana' })).toThrow(
      new RegExp(`frame ${inFocus} has no restoration`),
    );
    expect(() => appendDecisions(db, { frameIds: [123_456], verdict: 'reject', reviewer: 'ana' })).toThrow(/does not exist/);
    expect(count()).toBe(n);
  });

  it('cannot be edited or deleted (append-only audit)', () => {
    expect(() => db.prepare('UPDATE decision SET verdict = ?').run('reject')).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM decision').run()).toThrow(/append-only/);
  });

  it('undo appends the previous verdict, as a stack, and "clear" at the bottom', () => {
    const id = restoredIds[2]!;
    appendDecisions(db, { frameIds: [id], verdict: 'reject', reviewer: 'bo' });
    appendDecisions(db, { frameIds: [id], verdict: 'accept', reviewer: 'bo' });
    appendUndo(db, { frameIds: [id], reviewer: 'bo' });
    expect(frameDetail(db, id).review).toBe('rejected');
    appendUndo(db, { frameIds: [id], reviewer: 'bo' });
    const d = frameDetail(db, id);
    expect(d.review).toBe('undecided');
    expect(d.decisions.map((x) => x.verdict)).toEqual(['reject', 'accept', 'reject', 'clear']);
    expect(d.decisions.at(-1)!.note).toMatch(/undo of decision/);
    expect(() => appendUndo(db, { frameIds: [id], reviewer: 'bo' })).toThrow(new RegExp(`t=\\d+ \\(frame ${id}\\) has no decision to undo`));
  });
});

describe('bulk rule', () => {
  it('previews exactly the restored, undecided frames under both thresholds and applies them in one go', () => {
    const everything = { maxPOofAfter: 1, maxSpread: 1, undecidedOnly: true };
    const preview = previewBulkRule(db, everything);
    const undecided = restoredIds.filter((id) => frameDetail(db, id).review === 'undecided');
    expect(preview.frameIds.sort((a, b) => a - b)).toEqual(undecided);
    expect(previewBulkRule(db, { maxPOofAfter: 0, maxSpread: 1 }).count).toBe(0);
    expect(previewBulkRule(db, { maxPOofAfter: 1, maxSpread: 0 }).count).toBe(0);

    const applied = applyBulkRule(db, { rule: everything, frameIds: preview.frameIds, reviewer: 'cy', note: 'bulk' });
    expect(applied.count).toBe(preview.count);
    expect(applied.skipped).toEqual([]);
    for (const id of undecided) {
      const d = frameDetail(db, id);
      expect(d.review).toBe('accepted');
      expect(JSON.parse(d.decisions.at(-1)!.rule!)).toEqual(everything);
    }
    expect(previewBulkRule(db, everything).count).toBe(0);
    const totals = totalsOf(db, allWellSummaries(db, DEFAULT_USABILITY));
    expect(totals.accepted + totals.rejected).toBe(restoredIds.length);
  });
});

describe('errors', () => {
  it('list newest first and page with beforeId', () => {
    for (let i = 0; i < 3; i++) recordError(db, { runId: null, source: 'ingest', path: `bad-${i}.tif`, message: `truncated ${i}` });
    const page = listErrorEntries(db, 2);
    expect(page.map((e) => e.path)).toEqual(['bad-2.tif', 'bad-1.tif']);
    expect(listErrorEntries(db, 2, page[1]!.id).map((e) => e.path)).toEqual(['bad-0.tif']);
  });
});

describe('bulk rule confirmation (issue 14 item 3)', () => {
  it('decides exactly the previewed frames: a frame restored after the preview is left undecided, one decided meanwhile is skipped', () => {
    const dir = tempDir('pf-bulk-snapshot-');
    const w = createTestWorkspace(dir.dir, {
      wells: [{ block: '1', well: 'imgNo1', frames: [1, 2, 3, 4].map((t) => ({ t, kind: 'oof' as const, restored: t <= 3 })) }],
    });
    try {
      const rule = { maxPOofAfter: 0.5, maxSpread: 0.05, undecidedOnly: true };
      const preview = previewBulkRule(w.db, rule);
      const [t1, t2, t3, t4] = [1, 2, 3, 4].map((t) => w.frameIds.get(frameKey('1', 'imgNo1', t))!);
      expect(preview.frameIds).toEqual([t1, t2, t3]);

      // Between preview and confirmation: t4 is restored and re-classified in focus (as the pipeline writes it),
      // and another reviewer rejects t2.
      const restoreAttempt = startAttempts(w.db, [t4!], 'restore')[0]!;
      recordRestoration(w.db, {
        attemptId: restoreAttempt, frameId: t4!, modelId: 'pf-ddpm-v1', modelSha256: 'dd9e', sampler: 'ddim', steps: 5, eta: 0,
        ensemble: 3, seeds: [1, 2, 3], meanPath: 'restored/t4-mean.tif', spreadPath: 'restored/t4-spread.tif', membersPath: null,
        spreadMean: 0.01, tenenbaumBefore: 1, tenenbaumAfter: 3, durationMs: 10,
      });
      const reclassAttempt = startAttempts(w.db, [t4!], 'reclassify')[0]!;
      recordClassification(w.db, {
        attemptId: reclassAttempt, frameId: t4!, target: 'restored', modelId: 'pf-classifier-v1', modelSha256: 'c1a55', pOof: 0.1, oof: false,
        metrics: { tenenbaum: 3, vollathF4: null, vollathF5: null, normalizedVariance: null, laplacianVariance: null },
      });
      appendDecisions(w.db, { frameIds: [t2!], verdict: 'reject', reviewer: 'other' });
      expect(previewBulkRule(w.db, rule).frameIds).toEqual([t1, t3, t4]);

      const applied = applyBulkRule(w.db, { rule, frameIds: preview.frameIds, reviewer: 'cy' });
      expect(applied.count).toBe(2);
      expect(applied.frameIds).toEqual([t1, t3]);
      expect(applied.skipped).toEqual([t2]);
      expect(frameDetail(w.db, t1!).review).toBe('accepted');
      expect(frameDetail(w.db, t2!).review).toBe('rejected');
      expect(frameDetail(w.db, t3!).review).toBe('accepted');
      expect(frameDetail(w.db, t4!).review).toBe('undecided');
    } finally {
      closeDb(w.db);
      dir.cleanup();
    }
  });
});
