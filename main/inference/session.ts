/**
 * The ONLY module that imports onnxruntime-node (DESIGN.md, transformers.js style):
 * it maps the platform to execution providers, creates sessions, and validates
 * inputs by name and shape. Everything else works on plain Float32Arrays.
 */
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Execution providers in the order they are tried on this platform. */
export type ProviderName = 'cuda' | 'dml' | 'coreml' | 'cpu';

/** A float32 tensor as plain data: `dims` row-major, `data.length` = product of dims. */
export interface PlainTensor {
  data: Float32Array;
  dims: readonly number[];
}

/** Declared input / output of a model graph (symbolic dims are strings). */
export interface ValueSpec {
  name: string;
  shape: readonly (number | string)[];
}

export interface SessionOptions {
  /** Providers to try, in order; default: {@link preferredProviders}(). */
  providers?: readonly ProviderName[];
  /** Intra-op threads for the CPU provider (0 = ONNX Runtime's default). */
  threads?: number;
  /** Let idle pool threads spin (ONNX Runtime's own default; off here, see open()). Benchmarks compare both. */
  spinning?: boolean;
}

/** Whether the CUDA provider library ships next to the native binding (it is optional on Linux). */
function cudaInstalled(): boolean {
  try {
    const require = createRequire(import.meta.url);
    const pkgDir = dirname(require.resolve('onnxruntime-node/package.json'));
    const binDir = join(pkgDir, 'bin', 'napi-v6', process.platform, process.arch);
    return existsSync(join(binDir, 'libonnxruntime_providers_cuda.so'));
  } catch {
    return false;
  }
}

/**
 * Providers to try on this machine, best first: CUDA on Linux when its provider
 * library is installed, DirectML on Windows, CoreML on macOS, and always CPU last.
 */
export function preferredProviders(platform: NodeJS.Platform = process.platform): ProviderName[] {
  const list: ProviderName[] = [];
  if (platform === 'linux' && cudaInstalled()) list.push('cuda');
  if (platform === 'win32') list.push('dml');
  if (platform === 'darwin') list.push('coreml');
  list.push('cpu');
  return list;
}

function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** An ONNX model session with named, shape-checked float32 inputs. */
export class ModelSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** Provider actually in use (the first of the list that created a session). */
    readonly provider: ProviderName,
    readonly file: string,
    readonly inputs: readonly ValueSpec[],
    readonly outputs: readonly ValueSpec[],
  ) {}

  /**
   * Opens `file`, trying each provider in order; the first that creates a session
   * is used and reported. Throws an Error naming the file if none can.
   */
  static async open(file: string, options: SessionOptions = {}): Promise<ModelSession> {
    const providers = options.providers ?? preferredProviders();
    const failures: string[] = [];
    for (const provider of providers) {
      try {
        const session = await ort.InferenceSession.create(file, {
          executionProviders: [provider],
          graphOptimizationLevel: 'all',
          ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
          // Idle pool threads sleep instead of spinning: classification and restoration
          // run side by side on few cores, and spinning threads steal the other's CPU
          // (measured on 2 cores: 281² classifier 44 → 25 ms CPU per frame with 2 threads).
          ...(options.spinning ? {} : { extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } } }),
        });
        const specs = (meta: readonly ort.InferenceSession.ValueMetadata[]): ValueSpec[] =>
          meta.map((m) => ({ name: m.name, shape: m.isTensor ? [...m.shape] : [] }));
        return new ModelSession(session, provider, file, specs(session.inputMetadata), specs(session.outputMetadata));
      } catch (err) {
        failures.push(`${provider}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    throw new Error(`cannot load model ${file}: ${failures.join('; ')}`);
  }

  /** Checks feeds against the graph's declared inputs: names, rank, fixed dims, data length. */
  validate(feeds: Record<string, PlainTensor>): void {
    const expected = this.inputs.map((i) => i.name);
    const given = Object.keys(feeds);
    const missing = expected.filter((n) => !given.includes(n));
    const extra = given.filter((n) => !expected.includes(n));
    if (missing.length || extra.length) {
      throw new Error(
        `${this.file}: inputs must be named ${expected.join(', ')}` +
          `${missing.length ? `; missing ${missing.join(', ')}` : ''}${extra.length ? `; unexpected ${extra.join(', ')}` : ''}`,
      );
    }
    for (const spec of this.inputs) {
      const t = feeds[spec.name]!;
      const n = t.dims.reduce((a, b) => a * b, 1);
      const rankOk = spec.shape.length === 0 || spec.shape.length === t.dims.length;
      const dimsOk = rankOk && spec.shape.every((d, i) => typeof d !== 'number' || d < 0 || d === t.dims[i]);
      if (!dimsOk || n !== t.data.length) {
        throw new Error(
          `${this.file}: input "${spec.name}" expects shape ${shapeText(spec.shape)}, got ${shapeText(t.dims)}` +
            (n !== t.data.length ? ` with ${t.data.length} values (expected ${n})` : ''),
        );
      }
    }
  }

  /** Runs the model on validated float32 feeds; returns every output as a plain tensor. */
  async run(feeds: Record<string, PlainTensor>): Promise<Record<string, PlainTensor>> {
    this.validate(feeds);
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(ortFeeds);
    } catch (err) {
      const shapes = Object.entries(feeds).map(([k, t]) => `${k}${shapeText(t.dims)}`).join(', ');
      throw new Error(`${this.file}: inference failed for inputs ${shapes}: ${(err as Error).message.split('\n')[0]}`);
    }
    const out: Record<string, PlainTensor> = {};
    for (const [name, value] of Object.entries(results)) {
      if (value.type !== 'float32') throw new Error(`${this.file}: output "${name}" is ${value.type}, expected float32`);
      out[name] = { data: value.data as Float32Array, dims: [...value.dims] };
    }
    return out;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
