/**
 * What the inference worker does, independent of how messages arrive: loads
 * the models listed in the manifest (hash-checked; a bad model disables only its
 * capability), classifies batches of frames with their focus metrics, restores
 * frames and writes the derived TIFFs into the workspace. Classification has
 * priority: a restoration waits before each network step while a
 * classification job is running.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FocusMetrics, ModelStatus } from '../common/domain.js';
import type { Image } from '../imaging/image.js';
import { spatialFocusMetrics, tenenbaum } from '../imaging/metrics/focus.js';
import { unitToSamples, type SampleBits } from '../imaging/sample.js';
import { readTiffFloatPage, TiffError } from '../imaging/tiff-read.js';
import { writeTiff } from '../imaging/tiff-write.js';
import { classifyImages, isOof } from './classifier.js';
import { EXPECTED_IO, MODEL_KINDS, ModelError, modelOfKind, OPTIONAL_KINDS, readManifest, verifyModelFile, type ModelEntry, type ModelKind } from './model-registry.js';
import type {
  Capability,
  ClassifiedResponse,
  ClassifyRequest,
  ClassifyResult,
  InitRequest,
  ReadyResponse,
  RestoredResponse,
  RestoreRequest,
} from './protocol.js';
import { restoreFrame, type NetworkFn } from './restorer.js';
import { makeSchedule, type NoiseSchedule } from './samplers/schedule.js';
import { ModelSession, type ProviderName } from './session.js';

interface Loaded {
  entry: ModelEntry;
  session: ModelSession;
}

/** Folder of derived images inside the workspace, and the file names of a frame's outputs. */
export const DERIVED_DIR = 'derived';
export function derivedPaths(frameId: number): { mean: string; spread: string; members: string } {
  return {
    mean: `${DERIVED_DIR}/${frameId}-mean.tif`,
    spread: `${DERIVED_DIR}/${frameId}-spread.tif`,
    members: `${DERIVED_DIR}/${frameId}-members.tif`,
  };
}

/** DDIM steps used for 'student' requests when no student model is loaded (the former default). */
export const STUDENT_FALLBACK_STEPS = 5;

/** Job cancelled by the operator (the pipeline records it as such, not as a failure). */
export class CancelledError extends Error {
  constructor() {
    super('cancelled by the operator');
  }
}

export class InferenceEngine {
  private readonly models = new Map<ModelKind, Loaded>();
  private readonly statuses: ModelStatus[] = [];
  private readonly problems: ReadyResponse['problems'] = [];
  private schedule: NoiseSchedule | null = null;
  private activeClassify = 0;
  /** Effective full scale of this run's 16-bit frames so far (0 = none read yet); see readFrame. */
  private runFullScale = 0;
  private classifyIdleWaiters: (() => void)[] = [];
  private readonly cancelled = new Set<number>();

  private constructor(
    private readonly init: InitRequest,
  ) {}

  /** Loads every model of the manifest it can; problems are reported, not thrown. */
  static async load(init: InitRequest): Promise<InferenceEngine> {
    const engine = new InferenceEngine(init);
    await engine.loadModels();
    return engine;
  }

  /** The model kinds this process serves (InitRequest.role). */
  private get kinds(): readonly ModelKind[] {
    const role = this.init.role ?? 'all';
    return role === 'all' ? MODEL_KINDS : MODEL_KINDS.filter((k) => (k === 'classifier') === (role === 'classify'));
  }

  private async loadModels(): Promise<void> {
    let manifest;
    try {
      manifest = readManifest(this.init.modelsDir);
    } catch (err) {
      const file = err instanceof ModelError ? err.file : join(this.init.modelsDir, 'manifest.json');
      for (const kind of this.kinds) {
        this.problems.push({ kind, file, message: (err as Error).message });
        this.statuses.push({ id: `(${kind})`, kind, sha256: '', loaded: false, error: (err as Error).message });
      }
      return;
    }
    for (const kind of this.kinds) {
      const entry = modelOfKind(manifest, kind);
      if (!entry && OPTIONAL_KINDS.includes(kind)) continue;
      if (!entry) {
        const message = `model manifest ${manifest.path} lists no ${kind} model`;
        this.problems.push({ kind, file: manifest.path, message });
        this.statuses.push({ id: `(${kind})`, kind, sha256: '', loaded: false, error: message });
        continue;
      }
      try {
        const file = verifyModelFile(this.init.modelsDir, entry);
        let session: ModelSession;
        try {
          session = await ModelSession.open(file, { providers: this.init.providers as ProviderName[] | undefined, threads: this.init.threads });
        } catch (err) {
          throw new ModelError((err as Error).message, file);
        }
        const names = session.inputs.map((i) => i.name);
        const expected = EXPECTED_IO[kind];
        const missing = expected.inputs.filter((n) => !names.includes(n));
        const missingOut = expected.outputs.filter((n) => !session.outputs.some((o) => o.name === n));
        if (missing.length || missingOut.length) {
          await session.close();
          throw new ModelError(
            `model file ${file} (${entry.id}) has inputs ${names.join(', ')} / outputs ${session.outputs.map((o) => o.name).join(', ')}; ` +
              `a ${kind} needs ${expected.inputs.join(', ')} → ${expected.outputs.join(', ')}`,
            file,
          );
        }
        if (kind === 'ddpm') this.schedule = makeSchedule(entry.preprocess.schedule!.alphasCumprod, entry.preprocess.schedule!.T);
        this.models.set(kind, { entry, session });
        this.statuses.push({ id: entry.id, kind, sha256: entry.sha256, loaded: true, error: null });
      } catch (err) {
        const file = err instanceof ModelError ? err.file : join(this.init.modelsDir, entry.file);
        this.problems.push({ kind, file, message: (err as Error).message });
        this.statuses.push({ id: entry.id, kind, sha256: entry.sha256, loaded: false, error: (err as Error).message });
      }
    }
  }

  get capabilities(): Record<Capability, boolean> {
    return { classify: this.models.has('classifier'), restore: this.models.has('ddpm') && this.schedule !== null };
  }

  /** The `ready` answer to the init request. */
  ready(id: number, pid: number): ReadyResponse {
    const provider = [...this.models.values()][0]?.session.provider ?? null;
    return { type: 'ready', id, pid, provider, models: this.statuses, capabilities: this.capabilities, problems: this.problems };
  }

  cancel(jobId: number): void {
    this.cancelled.add(jobId);
  }

  /** Classifies a batch; unreadable frames fail alone, a network failure fails the request. */
  async classify(req: ClassifyRequest): Promise<ClassifiedResponse> {
    const model = this.models.get('classifier');
    if (!model) throw new Error('classification is disabled: no usable classifier model (see the engine status)');
    this.activeClassify++;
    try {
      const pre = model.entry.preprocess;
      const images: (Image | Error)[] = await Promise.all(
        req.items.map(async (it) => {
          try {
            const page = await this.readFrame(it.path, it.page);
            return { width: page.width, height: page.height, data: page.data };
          } catch (err) {
            return err as Error;
          }
        }),
      );
      const readable = images.filter((x): x is Image => !(x instanceof Error));
      const net: NetworkFn = async (inputs, n, h, w) =>
        (await model.session.run({ image: { data: inputs.image!, dims: [n, 1, h, w] } })).logit!.data;
      const p = await classifyImages((data, n, h, w) => net({ image: data }, n, h, w), pre, readable, this.init.classifyBatch ?? 32);
      let k = 0;
      const results: ClassifyResult[] = req.items.map((it, i) => {
        const img = images[i]!;
        // A frame whose content is unusable fails for good; an I/O error (share gone, busy file) is retried.
        if (img instanceof Error) return { frameId: it.frameId, target: it.target, ok: false, error: img.message, permanent: img instanceof TiffError && img.problem !== 'io' };
        const pOof = p[k++]!;
        if (!(pOof >= 0 && pOof <= 1)) return { frameId: it.frameId, target: it.target, ok: false, error: `the classifier returned p(OOF) = ${pOof} for this frame` };
        return { frameId: it.frameId, target: it.target, ok: true, pOof, oof: isOof(pOof, pre), metrics: metricsOf(img) };
      });
      return { type: 'classified', id: req.id, modelId: model.entry.id, modelSha256: model.entry.sha256, results };
    } finally {
      this.activeClassify--;
      if (this.activeClassify === 0) {
        const waiters = this.classifyIdleWaiters;
        this.classifyIdleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }

  /**
   * Decodes a frame with the camera's effective range (sample.ts effectiveFullScale).
   * The range is per run: this worker serves one workspace, and the run's full scale
   * only grows (the largest of its frames so far), so a dim frame of a 16-bit camera is
   * not brightened more than its neighbours. Classification does not depend on it (the
   * classifier standardises each frame); restorations are written back on the scale
   * their input was read with, so an output keeps its source's range.
   */
  private async readFrame(path: string, page: number): Promise<Awaited<ReturnType<typeof readTiffFloatPage>>> {
    const src = await readTiffFloatPage(path, page, { effectiveRange: true, runFullScale: this.runFullScale || undefined });
    if (src.bits === 16 && src.fullScale > this.runFullScale) this.runFullScale = src.fullScale;
    return src;
  }

  private classifyIdle(): Promise<void> {
    if (this.activeClassify === 0) return Promise.resolve();
    return new Promise((resolve) => this.classifyIdleWaiters.push(resolve));
  }

  /** Restores one frame and writes derived/<frameId>-{mean,spread,members}.tif atomically. */
  async restore(req: RestoreRequest): Promise<RestoredResponse> {
    const ddpm = this.models.get('ddpm');
    if (!ddpm || !this.schedule) throw new Error('restoration is disabled: no usable DDPM model (see the engine status)');
    const started = performance.now();
    const src = await this.readFrame(req.path, req.page);
    const image: Image = { width: src.width, height: src.height, data: src.data };
    const unet = this.models.get('unet');
    const student = this.models.get('student');
    let sampler = req.options.sampler;
    let steps = req.options.steps;
    // Without the U-Net, warm start falls back to plain DDIM; without the student,
    // DDIM with the steps asked for, or 5 when the request carries the student's 1.
    // The record says what ran.
    if (sampler === 'ddim-warm' && !unet) sampler = 'ddim';
    if (sampler === 'student' && !student) {
      sampler = 'ddim';
      if (steps <= 1) steps = STUDENT_FALLBACK_STEPS;
    }
    if (sampler === 'unet' && !unet) throw new Error('sampler "unet" needs the one-shot U-Net model, which is not loaded');
    const gate = async () => {
      if (this.cancelled.has(req.id)) throw new CancelledError();
      await this.classifyIdle();
    };
    const ddpmFn: NetworkFn = async (inputs, n, h, w) => {
      await gate();
      const dims = [n, 1, h, w];
      return (await ddpm.session.run({ x_t: { data: inputs.x_t!, dims }, cond: { data: inputs.cond!, dims }, t: { data: inputs.t!, dims: [n] } })).eps!.data;
    };
    const studentFn: NetworkFn | undefined = student
      ? async (inputs, n, h, w) => {
          await gate();
          const dims = [n, 1, h, w];
          return (await student.session.run({ z: { data: inputs.z!, dims }, cond: { data: inputs.cond!, dims }, x0_hat: { data: inputs.x0_hat!, dims } })).x0!.data;
        }
      : undefined;
    const unetFn: NetworkFn | undefined = unet
      ? async (inputs, n, h, w) => {
          await gate();
          return (await unet.session.run({ image: { data: inputs.image!, dims: [n, 1, h, w] } })).restored!.data;
        }
      : undefined;
    try {
      const seeds = sampler === 'unet' ? req.options.seeds.slice(0, 1) : req.options.seeds;
      const nets = { ddpm: ddpmFn, ddpmPre: ddpm.entry.preprocess, schedule: this.schedule, unet: unetFn, student: studentFn, studentPre: student?.entry.preprocess };
      const out = await restoreFrame(image, nets, {
        sampler,
        steps,
        eta: req.options.eta,
        seeds,
        warmStartT: req.options.warmStartT,
      });
      const paths = derivedPaths(req.frameId);
      const dir = join(this.init.workspace, DERIVED_DIR);
      mkdirSync(dir, { recursive: true });
      // Written back on the scale the source was read with: a 12-bit camera's frame stays 0–4095.
      const page = (data: Float32Array, bits: SampleBits) => ({ width: image.width, height: image.height, data: unitToSamples(data, bits, src.fullScale) });
      writeTiff(join(this.init.workspace, paths.mean), page(out.mean, src.bits), { atomic: true, software: 'PostFocus Station' });
      writeTiff(join(this.init.workspace, paths.spread), page(out.spread, 32), { atomic: true, software: 'PostFocus Station' });
      writeTiff(join(this.init.workspace, paths.members), out.members.map((m) => page(m, src.bits)), { atomic: true, software: 'PostFocus Station' });
      const model = sampler === 'unet' ? unet! : sampler === 'student' ? student! : ddpm;
      return {
        type: 'restored',
        id: req.id,
        frameId: req.frameId,
        modelId: model.entry.id,
        modelSha256: model.entry.sha256,
        sampler: out.sampler,
        steps: sampler === 'unet' || sampler === 'student' ? 1 : steps,
        eta: req.options.eta,
        ensemble: seeds.length,
        seeds,
        meanPath: paths.mean,
        spreadPath: paths.spread,
        membersPath: paths.members,
        spreadMean: out.spreadMean,
        tenenbaumBefore: safe(() => tenenbaum(image)),
        tenenbaumAfter: safe(() => tenenbaum({ width: image.width, height: image.height, data: out.mean })),
        durationMs: performance.now() - started,
        evaluations: out.evaluations,
      };
    } finally {
      this.cancelled.delete(req.id);
    }
  }

  async close(): Promise<void> {
    for (const m of this.models.values()) await m.session.close();
    this.models.clear();
  }
}

function safe(f: () => number): number | null {
  try {
    const v = f();
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** The focus metrics stored with p(OOF); null where a metric does not apply (tiny frames). */
export function metricsOf(img: Image): FocusMetrics {
  try {
    const m = spatialFocusMetrics(img);
    const f = (v: number) => (Number.isFinite(v) ? v : null);
    return { tenenbaum: f(m.tenenbaum), vollathF4: f(m.vollathF4), vollathF5: f(m.vollathF5), normalizedVariance: f(m.normalizedVariance), laplacianVariance: f(m.laplacianVariance) };
  } catch {
    return { tenenbaum: safe(() => tenenbaum(img)), vollathF4: null, vollathF5: null, normalizedVariance: null, laplacianVariance: null };
  }
}
