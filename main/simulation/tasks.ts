/**
 * Units of simulation work, as plain serialisable messages, and their runner.
 * The same runner is used in-process (one thread, tests) and inside worker
 * threads (node/pool.ts), so results never depend on where a task ran.
 */
import { quantize16, quantize8 } from './camera.js';
import { renderFrame, VirtualMicroscope, type FrameSpec } from './microscope.js';
import { generatePairs, pairCropSize, type PairItem } from './pairs.js';
import { generateVariedPairs, type ProfileSet, type VariedPairItem } from './varied.js';

export type SimTask =
  | { type: 'pairs'; seed: number; patch: number; start: number; count: number }
  | { type: 'frame'; spec: FrameSpec; size: number; bits: 8 | 16 }
  | { type: 'varied-pairs'; set: ProfileSet; seed: number; patch: number; start: number; count: number };

export type SimResult =
  | { type: 'pairs'; start: number; oof: Float32Array; focus: Float32Array; items: PairItem[] }
  | { type: 'varied-pairs'; start: number; oof: Float32Array; focus: Float32Array; items: VariedPairItem[] }
  | { type: 'frame'; frame: Uint8Array | Uint16Array; twin: Uint8Array | Uint16Array; labels: Uint8Array };

/** Per-thread cache of microscopes (one per crop size; they own large buffers). */
export class TaskRunner {
  private readonly microscopes = new Map<number, VirtualMicroscope>();

  microscope(size: number): VirtualMicroscope {
    let m = this.microscopes.get(size);
    if (!m) {
      m = new VirtualMicroscope({ size });
      this.microscopes.set(size, m);
    }
    return m;
  }

  run(task: SimTask): SimResult {
    if (task.type === 'pairs') {
      const mic = this.microscope(pairCropSize(task.patch));
      const b = generatePairs(mic, task.seed, task.patch, task.start, task.count);
      return { type: 'pairs', start: task.start, oof: b.oof, focus: b.focus, items: b.items };
    }
    if (task.type === 'varied-pairs') {
      const b = generateVariedPairs(task.set, task.seed, task.patch, task.start, task.count);
      return { type: 'varied-pairs', start: task.start, oof: b.oof, focus: b.focus, items: b.items };
    }
    const mic = this.microscope(task.size);
    const r = renderFrame(mic, task.spec);
    const q = task.bits === 16 ? quantize16 : quantize8;
    return { type: 'frame', frame: q(r.frame), twin: q(r.twin), labels: r.labels };
  }
}

/** Buffers of a result that can be transferred (not copied) between threads. */
export function transferables(r: SimResult): ArrayBuffer[] {
  const list = r.type === 'pairs' || r.type === 'varied-pairs' ? [r.oof, r.focus] : [r.frame, r.twin, r.labels];
  return list.map((a) => a.buffer as ArrayBuffer);
}
