import { describe, expect, it } from 'vitest';
import {
  frameDisposition,
  normalizeExportPolicy,
  POLICY_HELP,
  type ExportInclude,
  type FrameFacts,
} from '../../../main/common/export-policy.js';

const inFocus: FrameFacts = { state: 'in_focus', oofOriginal: false, hasRestoration: false, verdict: null };
const accepted: FrameFacts = { state: 'restored', oofOriginal: true, hasRestoration: true, verdict: 'accept' };
const rejected: FrameFacts = { state: 'restored', oofOriginal: true, hasRestoration: true, verdict: 'reject' };
const undecided: FrameFacts = { state: 'restored', oofOriginal: true, hasRestoration: true, verdict: null };
const cleared: FrameFacts = { state: 'restored', oofOriginal: true, hasRestoration: true, verdict: 'clear' };
const oofNotRestored: FrameFacts = { state: 'oof', oofOriginal: true, hasRestoration: false, verdict: null };
const pending: FrameFacts = { state: 'pending', oofOriginal: null, hasRestoration: false, verdict: null };
const inFocusRejected: FrameFacts = { ...inFocus, verdict: 'reject' };

function kinds(include: ExportInclude): Record<string, string> {
  const cases = { inFocus, accepted, rejected, undecided, cleared, oofNotRestored, pending, inFocusRejected };
  return Object.fromEntries(
    Object.entries(cases).map(([name, f]) => {
      const d = frameDisposition(f, include);
      return [name, d.kind === 'excluded' ? `excluded:${d.reason}` : d.kind];
    }),
  );
}

describe('frameDisposition', () => {
  // What stands for each kind of frame under each policy: [curated, all-decided, everything].
  // curated: in-focus originals and accepted restorations only; all-decided adds the originals
  // of rejected OOF frames (undecided stay out); everything: one file per frame, restored where accepted.
  const expected: Record<string, [string, string, string]> = {
    inFocus: ['original', 'original', 'original'],
    accepted: ['restored', 'restored', 'restored'],
    rejected: ['excluded:oof-rejected', 'original', 'original'],
    undecided: ['excluded:oof-undecided', 'excluded:oof-undecided', 'original'],
    cleared: ['excluded:oof-undecided', 'excluded:oof-undecided', 'original'],
    oofNotRestored: ['excluded:oof-undecided', 'excluded:oof-undecided', 'original'],
    pending: ['excluded:unclassified', 'excluded:unclassified', 'original'],
    inFocusRejected: ['excluded:in-focus-rejected', 'original', 'original'],
  };
  (['curated', 'all-decided', 'everything'] as const).forEach((include, column) => {
    it(`${include}: the file that stands for each kind of frame`, () => {
      expect(kinds(include)).toEqual(Object.fromEntries(Object.entries(expected).map(([name, row]) => [name, row[column]])));
    });
  });

  it('a failed frame falls back on its original classification', () => {
    expect(frameDisposition({ state: 'failed', oofOriginal: true, hasRestoration: false, verdict: null }, 'curated')).toEqual({
      kind: 'excluded',
      reason: 'oof-undecided',
    });
    expect(frameDisposition({ state: 'failed', oofOriginal: false, hasRestoration: false, verdict: null }, 'curated').kind).toBe(
      'original',
    );
  });

  it('an accept without a restoration keeps the original', () => {
    expect(frameDisposition({ state: 'oof', oofOriginal: true, hasRestoration: false, verdict: 'accept' }, 'curated').kind).toBe(
      'excluded',
    );
    expect(frameDisposition({ state: 'oof', oofOriginal: true, hasRestoration: false, verdict: 'accept' }, 'all-decided').kind).toBe(
      'original',
    );
  });
});

describe('normalizeExportPolicy', () => {
  it('fills defaults', () => {
    expect(normalizeExportPolicy(undefined)).toEqual({ include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false });
  });
  it('rejects unknown policies and layouts by name', () => {
    expect(() => normalizeExportPolicy({ include: 'all' as never })).toThrow(/include must be one of curated, all-decided, everything, got a string \("all"\)/);
    expect(() => normalizeExportPolicy({ layout: 'flat' as never })).toThrow(/layout must be one of mirror, per-well, got a string \("flat"\)/);
    expect(() => normalizeExportPolicy({ omeStacks: 'yes' as never })).toThrow(/omeStacks must be true or false/);
  });
  it('help text names every policy', () => {
    for (const p of ['curated', 'all-decided', 'everything']) expect(POLICY_HELP).toContain(p);
  });
});
