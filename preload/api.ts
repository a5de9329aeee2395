/**
 * StationApi: the one typed contract between the station core and any user
 * interface (Electron IPC via preload, or the loopback web shell). Types only:
 * the renderer imports this file and nothing else from the Node side. The
 * domain types it carries live in main/common/domain.ts and are re-exported here.
 *
 * Every payload crossing a process boundary is plain JSON (binary image data is
 * base64), and every command payload is validated on the core side
 * (main/station/validate.ts) before it is used.
 */

export type * from '../main/common/domain.js';
/** The one rule for the plate's totals, shared by the core's overview and the renderer's live updates. */
export { wellTotals } from '../main/common/totals.js';
import type { BulkApplyInput, BulkApplyResult, BulkPreview, BulkRule, DecisionInput, EngineStatus, ErrorEntry, ExportPolicy, ExportPreview, ExportResult, FocusLabelInput, FocusStatus, FrameDetail, ImagePayload, ImageRequest, NanowellDetail, Overview, Progress, StationEvent } from '../main/common/domain.js';

export interface StationApi {
  getOverview(): Promise<Overview>;
  getNanowell(wellId: number): Promise<NanowellDetail>;
  getFrame(frameId: number): Promise<FrameDetail>;
  getImage(request: ImageRequest): Promise<ImagePayload>;
  decide(input: DecisionInput): Promise<{ decisionIds: number[] }>;
  /** Reverts the latest decision of each frame (appends the previous verdict, or 'clear'). */
  undo(input: { frameIds: number[]; reviewer: string }): Promise<{ decisionIds: number[] }>;
  previewBulk(rule: BulkRule): Promise<BulkPreview>;
  /** Accepts exactly the previewed frames that still match the rule. */
  applyBulk(input: BulkApplyInput): Promise<BulkApplyResult>;
  listErrors(input: { limit: number; beforeId?: number }): Promise<ErrorEntry[]>;
  getProgress(): Promise<Progress>;
  getEngineStatus(): Promise<EngineStatus>;
  setPaused(input: { paused: boolean }): Promise<Progress>;
  previewExport(policy: ExportPolicy): Promise<ExportPreview>;
  startExport(input: { destination: string; policy: ExportPolicy; merge?: boolean }): Promise<ExportResult>;
  /** Calibration state, labels in force and the domain guard per run. */
  getFocusStatus(): Promise<FocusStatus>;
  /** Records operator focus labels (ground truth, append-only with who and when). */
  labelFocus(input: FocusLabelInput): Promise<FocusStatus>;
  /** Fits the calibration on the labels in force, re-judges every frame, releases a tripped guard. */
  calibrate(input: { who: string }): Promise<FocusStatus>;
  /** Releases a tripped domain guard without calibrating ("restore anyway"); all runs when runId is omitted. */
  restoreAnyway(input: { who: string; runId?: number }): Promise<FocusStatus>;
  /** Subscribes to the live event stream; returns an unsubscribe function. */
  subscribe(listener: (event: StationEvent) => void): () => void;
}

/** Names of the request/response commands (everything but `subscribe`). */
export type StationCommand = Exclude<keyof StationApi, 'subscribe'>;

export const STATION_COMMANDS: readonly StationCommand[] = [
  'getOverview',
  'getNanowell',
  'getFrame',
  'getImage',
  'decide',
  'undo',
  'previewBulk',
  'applyBulk',
  'listErrors',
  'getProgress',
  'getEngineStatus',
  'setPaused',
  'previewExport',
  'startExport',
  'getFocusStatus',
  'labelFocus',
  'calibrate',
  'restoreAnyway',
];
