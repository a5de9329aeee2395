/**
 * Domain types of the station: runs, nanowells, frames, classifications,
 * restorations, decisions, progress, exports and the event stream. Pure types
 * (no node, no electron). The contract file (preload/api.ts) re-exports them for
 * the renderer; main/ imports them from here. The command payloads are
 * defined by their schemas (contract.ts) and re-exported here.
 */

export type {
  BulkApplyInput,
  BulkRule,
  DecisionInput,
  ExportLayout,
  ExportPolicy,
  FocusLabelInput,
  ImageKind,
  ImageRequest,
  Verdict,
} from './contract.js';
import type { Verdict } from './contract.js';

export type FrameState = 'pending' | 'in_focus' | 'oof' | 'restored' | 'failed';
/** Effective review state of a frame: the latest decision, or undecided. */
export type ReviewState = 'accepted' | 'rejected' | 'undecided';
/** Summary state of a nanowell shown in the plate grid. */
export type WellState = 'pending' | 'in_focus' | 'oof' | 'restored' | 'decided' | 'failed';

export interface RunInfo {
  id: number;
  root: string;
  layout: string;
  createdAt: string;
  ignoredFiles: number;
}

export interface UsabilityRule {
  /** A video is unusable above this fraction of OOF frames (PostFocus: 0.05). */
  maxOofFraction: number;
  /** ...or with this many consecutive OOF frames (PostFocus: 2). */
  maxConsecutiveOof: number;
}

/** Frame counts of a nanowell, or of the plate summed over them. */
export interface FrameCounts {
  frames: number;
  classified: number;
  oof: number;
  restored: number;
  accepted: number;
  rejected: number;
}

export interface WellSummary extends FrameCounts {
  id: number;
  runId: number;
  block: string;
  well: string;
  /** Nanowell label shown to users and used in `data-well`: `B<block>-<well>`. */
  label: string;
  position: number;
  failed: number;
  /** OOF frames / classified frames (0 when none classified). */
  oofFraction: number;
  usableBefore: boolean | null;
  usableAfter: boolean | null;
  state: WellState;
}

export interface Totals extends FrameCounts {
  errors: number;
  wells: number;
  usableBefore: number;
  usableAfter: number;
}

export interface Overview {
  workspace: string;
  runs: RunInfo[];
  totals: Totals;
  wells: WellSummary[];
  usability: UsabilityRule;
}

export interface FrameSummary {
  id: number;
  wellId: number;
  t: number;
  channel: string;
  path: string;
  state: FrameState;
  pOof: number | null;
  pOofAfter: number | null;
  review: ReviewState;
}

export interface NanowellDetail {
  well: WellSummary;
  frames: FrameSummary[];
}

/**
 * The focus metrics stored with p(OOF) per classified frame, one home for the
 * station, the store and the contract (definitions: imaging/metrics/focus.ts,
 * which computes them); null where a metric does not apply (tiny frames).
 */
export interface FocusMetrics {
  tenenbaum: number | null;
  vollathF4: number | null;
  vollathF5: number | null;
  normalizedVariance: number | null;
  laplacianVariance: number | null;
}

export interface RestorationInfo {
  modelId: string;
  modelSha256: string;
  sampler: string;
  steps: number;
  eta: number;
  ensemble: number;
  seeds: number[];
  spreadMean: number;
  tenenbaumBefore: number | null;
  tenenbaumAfter: number | null;
  durationMs: number;
  createdAt: string;
}

export interface DecisionEntry {
  id: number;
  frameId: number;
  verdict: Verdict;
  reviewer: string;
  note: string;
  at: string;
  rule: string | null;
}

export interface FrameDetail extends FrameSummary {
  width: number;
  height: number;
  bits: number;
  classification: (FocusMetrics & { pOof: number; modelId: string }) | null;
  classificationAfter: (FocusMetrics & { pOof: number; modelId: string }) | null;
  restoration: RestorationInfo | null;
  decisions: DecisionEntry[];
}

export interface ImagePayload {
  mime: 'image/png';
  width: number;
  height: number;
  /**
   * Display window in intensity units: grey images map [low, high] to black…white
   * (original, restored and members of a frame share it); the spread map maps
   * [low, high] through its colour map.
   */
  window?: { low: number; high: number };
  /** base64-encoded PNG. */
  base64: string;
}

export interface BulkPreview {
  count: number;
  frameIds: number[];
}

export interface BulkApplyResult {
  /** Frames accepted (previewed and still matching the rule). */
  count: number;
  /** Previewed frames left alone because they no longer match (decided or re-restored meanwhile). */
  skipped: number[];
}

export interface ErrorEntry {
  id: number;
  source: string;
  path: string | null;
  message: string;
  at: string;
}

export interface QueueProgress {
  done: number;
  total: number;
  /** Frames per second over the last minute. */
  rate: number;
  /** Seconds to finish at the current rate, null when unknown. */
  etaSeconds: number | null;
}

export interface Progress {
  ingest: QueueProgress;
  classify: QueueProgress;
  restore: QueueProgress;
  paused: boolean;
}

export interface ModelStatus {
  id: string;
  kind: 'classifier' | 'ddpm' | 'unet' | 'student';
  sha256: string;
  loaded: boolean;
  error: string | null;
}

export interface EngineStatus {
  /** Execution provider in use: cuda | dml | coreml | cpu, or null before start. */
  provider: string | null;
  models: ModelStatus[];
  workerPid: number | null;
  /** Every inference worker process (classification processes, then restoration), for CPU accounting. */
  workerPids: number[];
  acquiring: boolean;
  /** Why classification/restoration is not running (no models, disabled by options), if so. */
  disabledReason?: string | null;
}

export interface ExportPreview {
  originals: number;
  restored: number;
  excluded: number;
  wells: number;
}

export interface ExportResult {
  exportId: number;
  destination: string;
  framesExported: number;
  framesExcluded: number;
  manifestSha256: string;
  /** Why frames were left out and what to do about it (e.g. restorations still undecided); absent when none were. */
  hint?: string;
}

/** The station's focus calibration and domain guard, as the status bar shows them. */
export interface FocusStatus {
  /** "calibrated on N labels, cross-validated accuracy X" or "not calibrated". */
  summary: string;
  calibrated: boolean;
  /** Operator labels in force now (the next calibration's material). */
  labels: { inFocus: number; oof: number };
  calibration: {
    id: number;
    who: string;
    at: string;
    source: string;
    inFocus: number;
    oof: number;
    cvAccuracy: number | null;
    cvBalancedAccuracy: number | null;
  } | null;
  /** Domain guard per run; 'tripped' holds automatic restoration until calibration or "restore anyway". */
  guards: { runId: number; state: 'pending' | 'clear' | 'tripped' | 'released'; judged: number; oof: number; reason: string | null }[];
  restorationHeld: boolean;
}

export type StationEvent =
  | { type: 'frame-ingested'; frameId: number; wellId: number; t: number; path: string }
  | { type: 'frame-classified'; frameId: number; wellId: number; pOof: number; oof: boolean; target: 'original' | 'restored' }
  | { type: 'frame-restored'; frameId: number; wellId: number; spreadMean: number }
  | { type: 'frame-failed'; frameId: number; wellId: number; reason: string }
  | { type: 'decision'; frameIds: number[]; verdict: Verdict; reviewer: string }
  | { type: 'wells-updated'; wells: WellSummary[] }
  | { type: 'error'; entry: ErrorEntry }
  | { type: 'progress'; progress: Progress }
  | { type: 'engine'; status: EngineStatus }
  | { type: 'focus'; status: FocusStatus }
  | { type: 'export'; phase: 'started' | 'progress' | 'done' | 'failed'; done: number; total: number; message?: string };
