/**
 * Message protocol between the station core (main process) and the inference
 * worker (Electron utilityProcess, or child_process.fork under Node). Every
 * request carries a job id that its response repeats. Both sides validate what
 * they receive: a malformed message is a ProtocolError, never a crash.
 *
 * Pure module (types + validation): no node, no electron, no onnxruntime.
 */
import type { FocusMetrics, ModelStatus } from '../common/domain.js';
import type { RestorationOutcome } from '../common/restoration.js';

export const PROTOCOL_VERSION = 1;

export type ClassifyTarget = 'original' | 'restored';
export type SamplerName = 'ddim' | 'ancestral' | 'ddim-warm' | 'unet' | 'student';
export const SAMPLERS: readonly SamplerName[] = ['ddim', 'ancestral', 'ddim-warm', 'unet', 'student'];
export type Capability = 'classify' | 'restore';

// ----------------------------------------------------------------- requests

export interface InitRequest {
  type: 'init';
  id: number;
  protocol: number;
  /** Folder with manifest.json and the .onnx files. */
  modelsDir: string;
  /** Workspace folder; derived TIFFs go to <workspace>/derived/. */
  workspace: string;
  /** Intra-op threads per session (0 = ONNX Runtime default). */
  threads?: number;
  /** Execution providers to try in order (default: the platform's list). */
  providers?: string[];
  /** Largest batch the classifier runs at once. */
  classifyBatch?: number;
  /** Niceness (0–19) the worker adds to its own before loading models, so its runtime threads inherit it. */
  niceness?: number;
  /**
   * What this process serves (default 'all'): a classification process loads only the
   * classifier, a restoration process only the restorers (worker-pool.ts), so neither
   * spends start-up time and memory on models it never runs.
   */
  role?: WorkerRole;
}

export type WorkerRole = 'all' | 'classify' | 'restore';
export const WORKER_ROLES: readonly WorkerRole[] = ['all', 'classify', 'restore'];

export interface ClassifyItem {
  frameId: number;
  /** Absolute path of the TIFF to classify (the source frame, or the restored mean). */
  path: string;
  page: number;
  target: ClassifyTarget;
}

export interface ClassifyRequest {
  type: 'classify';
  id: number;
  items: ClassifyItem[];
}

export interface RestoreOptions {
  sampler: SamplerName;
  steps: number;
  eta: number;
  ensemble: number;
  /** Warm-start timestep for 'ddim-warm' (index into the schedule). */
  warmStartT?: number;
  /** One seed per ensemble member. */
  seeds: number[];
}

export interface RestoreRequest {
  type: 'restore';
  id: number;
  frameId: number;
  /** Absolute path of the source frame. */
  path: string;
  page: number;
  options: RestoreOptions;
}

export interface ShutdownRequest {
  type: 'shutdown';
  id: number;
}

/** Asks the worker to abandon job `jobId` (a restoration stops before its next network step). */
export interface CancelRequest {
  type: 'cancel';
  id: number;
  jobId: number;
}

export type WorkerRequest = InitRequest | ClassifyRequest | RestoreRequest | CancelRequest | ShutdownRequest;

// ---------------------------------------------------------------- responses

export interface ReadyResponse {
  type: 'ready';
  id: number;
  pid: number;
  /** Execution provider in use (cuda | dml | coreml | cpu), null when no model loaded. */
  provider: string | null;
  models: ModelStatus[];
  capabilities: Record<Capability, boolean>;
  /** One message per model that could not be used (names the file). */
  problems: { kind: string; file: string; message: string }[];
}

export type ClassifyResult =
  | {
      frameId: number;
      target: ClassifyTarget;
      ok: true;
      pOof: number;
      oof: boolean;
      metrics: FocusMetrics;
    }
  /** `permanent`: the frame itself is unusable (corrupt, non-finite pixels), so retrying cannot help. */
  | { frameId: number; target: ClassifyTarget; ok: false; error: string; permanent?: boolean };

export interface ClassifiedResponse {
  type: 'classified';
  id: number;
  modelId: string;
  modelSha256: string;
  results: ClassifyResult[];
}

export interface RestoredResponse extends RestorationOutcome {
  type: 'restored';
  id: number;
  frameId: number;
  sampler: SamplerName;
  /** Network evaluations (batched calls) used. */
  evaluations: number;
}

export interface ErrorResponse {
  type: 'error';
  id: number;
  message: string;
}

export interface LogMessage {
  type: 'log';
  level: 'info' | 'warn' | 'error';
  message: string;
}

/** Acknowledges a cancel or shutdown request. */
export interface AckResponse {
  type: 'ack';
  id: number;
}

export type WorkerResponse = ReadyResponse | ClassifiedResponse | RestoredResponse | ErrorResponse | LogMessage | AckResponse;

// --------------------------------------------------------------- host side

/**
 * A running worker process as the pipeline sees it. Implemented over
 * child_process.fork (main/pipeline/fork-host.ts) and over Electron's
 * utilityProcess (main/electron/).
 */
export interface WorkerHost {
  readonly pid: number | null;
  /** Every process behind this host (a pool runs several; a single process: absent, `pid` is all). */
  readonly pids?: readonly (number | null)[];
  postMessage(message: WorkerRequest): void;
  onMessage(callback: (message: unknown) => void): void;
  /**
   * Called once when the process ends; code null when killed by a signal. A pool
   * of processes adds which jobs in flight were stopped only because another of
   * its processes ended (their own process was healthy).
   */
  onExit(callback: (code: number | null, signal: string | null, detail?: WorkerExitDetail) => void): void;
  kill(): void;
}

/** What a pool knows about its exit beyond code and signal. */
export interface WorkerExitDetail {
  /** Jobs in flight in processes that were stopped because another process of the pool ended. */
  collateralJobIds: readonly number[];
}

export type WorkerHostFactory = () => WorkerHost;

// -------------------------------------------------------------- validation

export class ProtocolError extends Error {}

type Obj = Record<string, unknown>;

function obj(v: unknown, what: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ProtocolError(`${what} must be an object`);
  return v as Obj;
}
function str(o: Obj, k: string, what: string): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length === 0) throw new ProtocolError(`${what}.${k} must be a non-empty string`);
  return v;
}
function int(o: Obj, k: string, what: string, min = 0): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ProtocolError(`${what}.${k} must be an integer ≥ ${min}`);
  return v;
}
function numIn(o: Obj, k: string, what: string, lo: number, hi: number): number {
  const v = o[k];
  if (typeof v !== 'number' || !(v >= lo && v <= hi)) throw new ProtocolError(`${what}.${k} must be a number in [${lo}, ${hi}]`);
  return v;
}
function optInt(o: Obj, k: string, what: string, min = 0): number | undefined {
  return o[k] === undefined ? undefined : int(o, k, what, min);
}
function oneOf<T extends string>(o: Obj, k: string, what: string, allowed: readonly T[]): T {
  const v = o[k];
  if (typeof v !== 'string' || !allowed.includes(v as T)) throw new ProtocolError(`${what}.${k} must be one of ${allowed.join(', ')}`);
  return v as T;
}

/** Validates restoration options (also used for the Pipeline's configuration). */
export function parseRestoreOptions(v: unknown, what = 'options'): RestoreOptions {
  const o = obj(v, what);
  const ensemble = int(o, 'ensemble', what, 1);
  const seeds = o.seeds;
  if (!Array.isArray(seeds) || seeds.length !== ensemble || !seeds.every((s) => Number.isInteger(s) && s >= 0 && s <= 0xffffffff)) {
    throw new ProtocolError(`${what}.seeds must be ${ensemble} integers in [0, 2^32)`);
  }
  const out: RestoreOptions = {
    sampler: oneOf(o, 'sampler', what, SAMPLERS),
    steps: int(o, 'steps', what, 1),
    eta: numIn(o, 'eta', what, 0, 1),
    ensemble,
    seeds: seeds as number[],
  };
  const w = optInt(o, 'warmStartT', what, 0);
  if (w !== undefined) out.warmStartT = w;
  return out;
}

/** Checks a message received by the worker. */
export function parseWorkerRequest(message: unknown): WorkerRequest {
  const m = obj(message, 'request');
  const id = int(m, 'id', 'request');
  switch (m.type) {
    case 'init': {
      if (m.protocol !== PROTOCOL_VERSION) throw new ProtocolError(`init.protocol must be ${PROTOCOL_VERSION}, got ${String(m.protocol)}`);
      const req: InitRequest = { type: 'init', id, protocol: PROTOCOL_VERSION, modelsDir: str(m, 'modelsDir', 'init'), workspace: str(m, 'workspace', 'init') };
      const threads = optInt(m, 'threads', 'init');
      if (threads !== undefined) req.threads = threads;
      const batch = optInt(m, 'classifyBatch', 'init', 1);
      if (batch !== undefined) req.classifyBatch = batch;
      const niceness = optInt(m, 'niceness', 'init');
      if (niceness !== undefined) {
        if (niceness > 19) throw new ProtocolError('init.niceness must be an integer in [0, 19]');
        req.niceness = niceness;
      }
      if (m.providers !== undefined) {
        if (!Array.isArray(m.providers) || !m.providers.every((p) => typeof p === 'string')) throw new ProtocolError('init.providers must be strings');
        req.providers = m.providers as string[];
      }
      if (m.role !== undefined) {
        if (!WORKER_ROLES.includes(m.role as WorkerRole)) throw new ProtocolError(`init.role must be one of ${WORKER_ROLES.join(', ')}`);
        req.role = m.role as WorkerRole;
      }
      return req;
    }
    case 'classify': {
      if (!Array.isArray(m.items) || m.items.length === 0) throw new ProtocolError('classify.items must be a non-empty list');
      const items = m.items.map((raw, i): ClassifyItem => {
        const it = obj(raw, `classify.items[${i}]`);
        const w = `classify.items[${i}]`;
        return { frameId: int(it, 'frameId', w, 1), path: str(it, 'path', w), page: int(it, 'page', w), target: oneOf(it, 'target', w, ['original', 'restored'] as const) };
      });
      return { type: 'classify', id, items };
    }
    case 'restore':
      return {
        type: 'restore',
        id,
        frameId: int(m, 'frameId', 'restore', 1),
        path: str(m, 'path', 'restore'),
        page: int(m, 'page', 'restore'),
        options: parseRestoreOptions(m.options, 'restore.options'),
      };
    case 'cancel':
      return { type: 'cancel', id, jobId: int(m, 'jobId', 'cancel') };
    case 'shutdown':
      return { type: 'shutdown', id };
    default:
      throw new ProtocolError(`unknown request type ${JSON.stringify(m.type)}`);
  }
}

/**
 * One result of a `classified` answer. A result with a usable frame id but a bad
 * value (p(OOF) NaN or outside [0, 1], metrics not numbers) becomes a failed
 * result naming what was wrong; without a frame id it is dropped (the pipeline
 * then records "no result for this frame").
 */
export function parseClassifyResult(raw: unknown, what: string): ClassifyResult | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const r = raw as Obj;
  if (typeof r.frameId !== 'number' || !Number.isInteger(r.frameId) || r.frameId < 1) return null;
  const frameId = r.frameId;
  const target: ClassifyTarget = r.target === 'restored' ? 'restored' : 'original';
  const invalid = (why: string): ClassifyResult => ({ frameId, target, ok: false, error: `the inference worker returned an invalid result: ${why}`, permanent: false });
  if (r.ok === false) {
    if (typeof r.error !== 'string') return invalid(`${what}.error must be a string`);
    return { frameId, target, ok: false, error: r.error, permanent: r.permanent === true };
  }
  if (r.ok !== true) return invalid(`${what} needs ok:true with pOof or ok:false with error`);
  if (typeof r.pOof !== 'number' || !(r.pOof >= 0 && r.pOof <= 1)) return invalid(`${what}.pOof must be a number in [0, 1], got ${String(r.pOof)}`);
  if (typeof r.oof !== 'boolean') return invalid(`${what}.oof must be a boolean`);
  const metrics = r.metrics;
  if (metrics === null || typeof metrics !== 'object' || Array.isArray(metrics)) return invalid(`${what}.metrics must be an object`);
  for (const [k, v] of Object.entries(metrics as Obj)) {
    if (v !== null && typeof v !== 'number') return invalid(`${what}.metrics.${k} must be a number or null`);
  }
  return { frameId, target, ok: true, pOof: r.pOof, oof: r.oof, metrics: metrics as FocusMetrics };
}

/** The job id of a message that failed validation, when it has one (so its job can fail instead of waiting). */
export function responseId(message: unknown): number | null {
  if (message === null || typeof message !== 'object') return null;
  const id = (message as Obj).id;
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 ? id : null;
}

/**
 * Checks a message received from the worker (the fields the core relies on);
 * numbers that must be finite are checked so NaN never reaches the database.
 */
export function parseWorkerResponse(message: unknown): WorkerResponse {
  const m = obj(message, 'response');
  switch (m.type) {
    case 'log':
      return { type: 'log', level: oneOf(m, 'level', 'log', ['info', 'warn', 'error'] as const), message: String(m.message ?? '') };
    case 'ready': {
      int(m, 'id', 'ready');
      const caps = obj(m.capabilities, 'ready.capabilities');
      if (typeof caps.classify !== 'boolean' || typeof caps.restore !== 'boolean') throw new ProtocolError('ready.capabilities must have booleans');
      if (!Array.isArray(m.models) || !Array.isArray(m.problems)) throw new ProtocolError('ready.models / ready.problems must be lists');
      return m as unknown as ReadyResponse;
    }
    case 'classified': {
      int(m, 'id', 'classified');
      str(m, 'modelId', 'classified');
      if (!Array.isArray(m.results)) throw new ProtocolError('classified.results must be a list');
      // Each result is checked on its own: a bad value fails its frame, never the batch.
      const results = m.results.map((raw, i) => parseClassifyResult(raw, `classified.results[${i}]`));
      return { ...(m as unknown as ClassifiedResponse), results: results.filter((r): r is ClassifyResult => r !== null) };
    }
    case 'restored': {
      int(m, 'id', 'restored');
      int(m, 'frameId', 'restored', 1);
      str(m, 'meanPath', 'restored');
      str(m, 'spreadPath', 'restored');
      numIn(m, 'spreadMean', 'restored', 0, Number.MAX_VALUE);
      numIn(m, 'durationMs', 'restored', 0, Number.MAX_VALUE);
      return m as unknown as RestoredResponse;
    }
    case 'error':
      int(m, 'id', 'error');
      return { type: 'error', id: m.id as number, message: String(m.message ?? 'unknown worker error') };
    case 'ack':
      return { type: 'ack', id: int(m, 'id', 'ack') };
    default:
      throw new ProtocolError(`unknown response type ${JSON.stringify(m.type)}`);
  }
}
