/**
 * Export policies: which file (if any) stands for each frame in a curated
 * dataset. Pure module (no node): the same rule drives the export, its preview
 * counts, the usable-video yield and the CLI help text.
 */
import type { ExportPolicy, FrameState, Verdict } from './domain.js';
import type { VideoFrame } from './usability.js';
import { exportPolicySchema, parsePayload } from './contract.js';

export type ExportInclude = ExportPolicy['include'];

export { EXPORT_INCLUDES, EXPORT_LAYOUTS } from './contract.js';

/** The default policy of the app and the CLI. */
export const DEFAULT_EXPORT_POLICY: ExportPolicy = {
  include: 'curated',
  layout: 'mirror',
  omeStacks: true,
  trainingPack: false,
};

/** What the station knows about one frame, as far as the export rule cares. */
export interface FrameFacts {
  state: FrameState;
  /** OOF flag of the classification of the original (null when not classified). */
  oofOriginal: boolean | null;
  /** A restoration row exists for the frame. */
  hasRestoration: boolean;
  /** Verdict of the latest decision in force, null when never decided. */
  verdict: Verdict | null;
}

export type FocusClass = 'in_focus' | 'oof' | 'unclassified';
export type ReviewClass = 'accepted' | 'rejected' | 'undecided';

export type ExclusionReason =
  | 'oof-rejected'
  | 'oof-undecided'
  | 'in-focus-rejected'
  | 'unclassified'
  /** The policy includes the frame but its file cannot be read (gone, damaged, changed since ingest): found while exporting. */
  | 'unreadable';

/** Every exclusion reason at zero (an export's counters start here). */
export function noExclusions(): Record<ExclusionReason, number> {
  return { 'oof-rejected': 0, 'oof-undecided': 0, 'in-focus-rejected': 0, unclassified: 0, unreadable: 0 };
}

export type Disposition =
  | { kind: 'original' }
  | { kind: 'restored' }
  | { kind: 'excluded'; reason: ExclusionReason };

/** Whether the frame's original is in focus, out of focus, or not classified yet. */
export function focusClass(f: FrameFacts): FocusClass {
  if (f.state === 'in_focus') return 'in_focus';
  if (f.state === 'oof' || f.state === 'restored') return 'oof';
  if (f.oofOriginal === null) return 'unclassified';
  return f.oofOriginal ? 'oof' : 'in_focus';
}

/** Review state in force: 'clear' (and no decision at all) mean undecided. */
export function reviewClass(verdict: Verdict | null): ReviewClass {
  if (verdict === 'accept') return 'accepted';
  if (verdict === 'reject') return 'rejected';
  return 'undecided';
}

/** A restoration that a reviewer accepted and is still in force. */
export function hasAcceptedRestoration(f: FrameFacts): boolean {
  return f.hasRestoration && f.verdict === 'accept';
}

/**
 * A frame as the usability rule sees it under the `review` basis (the one
 * exports and the review app use): focus from {@link focusClass}, the
 * restoration and the verdict in force. Re-check flags are not needed there.
 */
export function videoFrameOf(f: FrameFacts & { t: number; channel: string }): VideoFrame {
  const focus = focusClass(f);
  return {
    t: f.t,
    channel: f.channel,
    oof: focus === 'unclassified' ? null : focus === 'oof',
    restored: f.hasRestoration,
    oofRestored: null,
    verdict: f.verdict,
    failed: f.state === 'failed',
  };
}

/**
 * The file that represents a frame under a policy:
 * - curated: in-focus originals (unless a reviewer rejected the frame itself) and
 *   accepted restorations; OOF frames rejected or undecided, and frames not
 *   classified yet, are excluded.
 * - all-decided: every frame whose fate is decided — in-focus originals, accepted
 *   restorations, and the OOF original of a frame whose restoration was rejected
 *   (exported as kind `original` with decision `reject`, so it stays labelled);
 *   only undecided OOF frames and unclassified frames are excluded.
 * - everything: one file per frame: the accepted restoration where there is one,
 *   the original otherwise.
 */
export function frameDisposition(f: FrameFacts, include: ExportInclude): Disposition {
  if (hasAcceptedRestoration(f)) return { kind: 'restored' };
  if (include === 'everything') return { kind: 'original' };
  const focus = focusClass(f);
  const review = reviewClass(f.verdict);
  if (focus === 'unclassified') return { kind: 'excluded', reason: 'unclassified' };
  if (include === 'all-decided') {
    if (focus === 'in_focus' || review !== 'undecided') return { kind: 'original' };
    return { kind: 'excluded', reason: 'oof-undecided' };
  }
  // curated
  if (focus === 'in_focus') {
    return review === 'rejected' ? { kind: 'excluded', reason: 'in-focus-rejected' } : { kind: 'original' };
  }
  return { kind: 'excluded', reason: review === 'rejected' ? 'oof-rejected' : 'oof-undecided' };
}

/**
 * Why an export left frames out that the operator can bring in, and how; null
 * when nothing such was left out. Shown by the CLI and the app after an export.
 */
export function exportHint(excludedByReason: Readonly<Record<ExclusionReason, number>>, exported: number): string | null {
  const lines: string[] = [];
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const undecided = excludedByReason['oof-undecided'];
  if (undecided > 0) {
    lines.push(
      `${plural(undecided, 'out-of-focus frame')} left out because no reviewer decided on ${undecided === 1 ? 'its restoration' : 'their restorations'}: ` +
        'review them (postfocus serve <workspace>) or accept by rule (postfocus accept <workspace> --reviewer <name>), then export again.',
    );
  }
  const unclassified = excludedByReason.unclassified;
  if (unclassified > 0) {
    lines.push(`${plural(unclassified, 'frame')} not classified yet: run postfocus process (or keep the station running) first.`);
  }
  const unreadable = excludedByReason.unreadable;
  if (unreadable > 0) {
    lines.push(`${plural(unreadable, 'frame')} left out because ${unreadable === 1 ? 'its file' : 'their files'} could not be read (the reasons are in summary.json, unreadable).`);
  }
  if (exported === 0 && lines.length === 0) {
    lines.push('nothing to export under this policy: the workspace has no frame it includes (see --help for the policies).');
  }
  return lines.length ? lines.join('\n') : null;
}

/** Human-readable description of the policies, shared by `--help` and the report. */
export const POLICY_HELP = [
  'Policies (which file stands for each frame; OOF = out of focus per the classifier):',
  '  curated      (default) in-focus originals + accepted restorations. Excluded: OOF frames',
  '               whose restoration is rejected or undecided (a cleared decision is undecided),',
  '               in-focus frames a reviewer rejected, frames not classified yet.',
  '  all-decided  every decided frame: in-focus originals, accepted restorations, and the',
  '               original of OOF frames whose restoration was rejected (kind=original,',
  '               decision=reject in the manifest). Excluded: undecided OOF frames, unclassified frames.',
  '  everything   one file per frame: the accepted restoration where there is one, the original',
  '               otherwise (including undecided/rejected OOF and unclassified frames).',
].join('\n');

/** Validates a policy coming from the UI, the CLI or a file (the contract's schema); fills defaults. */
export function normalizeExportPolicy(input: Partial<ExportPolicy> | undefined): ExportPolicy {
  const r = parsePayload(exportPolicySchema, { ...DEFAULT_EXPORT_POLICY, ...(input ?? {}) }, 'export policy');
  if (!r.ok) throw new Error(r.message);
  return r.value;
}
