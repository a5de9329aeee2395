/**
 * Partial coherence of the annular (phase-contrast) condenser, as a defocus blur.
 *
 * The optics module images with on-axis coherent light. A real phase-contrast
 * condenser illuminates from a thin annulus of angles θc (sin θc = NAc / n).
 * Out of focus, each illumination angle shifts the image laterally by
 * Δz·tan θc in its own direction; the angles are mutually incoherent, so their
 * intensities add: the defocused image is the coherent image convolved with a
 * thin ring of radius |Δz|·tan θc. In focus the ring collapses to a point
 * (identity), so Δz = 0 is unchanged. This is what turns out-of-focus cells into
 * the soft double-edged rings seen in real OOF frames (coherent defocus alone
 * only adds fringes).
 */

/** Condenser annulus NA of a 20× Ph1 phase-contrast setup. */
export const DEFAULT_CONDENSER_NA = 0.28;

/** Radius (px) of the defocus ring for Δz (µm). */
export function defocusRingRadiusPx(dzUm: number, condenserNA: number, mediumIndex: number, pixelSizeUm: number): number {
  const s = condenserNA / mediumIndex;
  return (Math.abs(dzUm) * s) / Math.sqrt(1 - s * s) / pixelSizeUm;
}

export interface RingKernel {
  radiusPx: number;
  /** Integer tap offsets and weights (sum 1). */
  dx: Int32Array;
  dy: Int32Array;
  w: Float32Array;
  /** Largest |offset|. */
  reach: number;
}

const kernelCache = new Map<number, RingKernel>();

/** Anti-aliased thin ring kernel (width ≈ 1.5 px), normalised to sum 1; a single tap below 0.5 px. */
export function ringKernel(radiusPx: number): RingKernel {
  const key = Math.round(radiusPx * 100) / 100;
  const hit = kernelCache.get(key);
  if (hit) return hit;
  const dx: number[] = [];
  const dy: number[] = [];
  const w: number[] = [];
  if (key < 0.5) {
    dx.push(0);
    dy.push(0);
    w.push(1);
  } else {
    const halfWidth = 0.75;
    const reach = Math.ceil(key + halfWidth);
    for (let y = -reach; y <= reach; y++) {
      for (let x = -reach; x <= reach; x++) {
        const d = Math.hypot(x, y);
        const v = 1 - Math.abs(d - key) / halfWidth;
        if (v > 0) {
          dx.push(x);
          dy.push(y);
          w.push(v);
        }
      }
    }
    const sum = w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < w.length; i++) w[i]! /= sum;
  }
  const k: RingKernel = {
    radiusPx: key,
    dx: Int32Array.from(dx),
    dy: Int32Array.from(dy),
    w: Float32Array.from(w),
    reach: Math.max(0, ...dx.map(Math.abs), ...dy.map(Math.abs)),
  };
  if (kernelCache.size > 512) kernelCache.clear();
  kernelCache.set(key, k);
  return k;
}

/**
 * Convolves `src` ((sh, sw) float32, row-major) with `kernel`, writing the
 * (h, w) result whose pixel (0, 0) lies at src pixel (m, m); the source must
 * extend at least kernel.reach pixels beyond the output on every side
 * (m ≥ reach, sw ≥ w + 2m, sh ≥ h + 2m).
 */
export function convolveRing(
  src: Float32Array,
  sw: number,
  sh: number,
  m: number,
  kernel: RingKernel,
  out: Float32Array,
  w: number,
  h: number,
): Float32Array {
  if (m < kernel.reach || sw < w + 2 * m || sh < h + 2 * m) throw new Error('convolveRing: source margin smaller than the kernel');
  out.fill(0, 0, w * h);
  const taps = kernel.w.length;
  for (let k = 0; k < taps; k++) {
    const wk = kernel.w[k]!;
    const off = kernel.dy[k]! * sw + kernel.dx[k]!;
    for (let y = 0; y < h; y++) {
      const s = (y + m) * sw + m + off;
      const o = y * w;
      for (let x = 0; x < w; x++) out[o + x]! += wk * src[s + x]!;
    }
  }
  return out;
}
