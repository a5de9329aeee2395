/**
 * 2-D complex FFTs on top of fft.js (a maintained radix-4 FFT; powers of two only).
 *
 * Layout: complex images are interleaved Float64Array, (N, N) row-major,
 * element (y, x) at [2 (y N + x), 2 (y N + x) + 1] = (re, im). Frequency index
 * k maps to k / (N · pixel) cycles/µm for k < N/2 and (k − N) / (N · pixel) above.
 *
 * The microscope only ever needs spectrum values inside the objective pupil and
 * intensities inside the central crop, so besides the full transforms this
 * module has a "pruned" pair of transforms that skips the columns outside the
 * pupil (forward) and the rows outside the crop (inverse): about 40% fewer 1-D
 * transforms than the full 2-D pair, with identical results inside the pupil/crop.
 */
import FFT from 'fft.js';

const fftCache = new Map<number, FFT>();

/** A cached fft.js instance for a power-of-two size. */
export function fft1d(size: number): FFT {
  if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) {
    throw new Error(`FFT size must be a power of two ≥ 2, got ${size}`);
  }
  let f = fftCache.get(size);
  if (!f) {
    f = new FFT(size);
    fftCache.set(size, f);
  }
  return f;
}

/** Signed frequency index of bin k for an N-point transform (0, 1, …, N/2−1, −N/2, …, −1). */
export function signedIndex(k: number, n: number): number {
  return k < n / 2 ? k : k - n;
}

/**
 * Full forward 2-D FFT, unnormalised: out = Σ in · e^{−2πi(kx x + ky y)/N}.
 * in, out: (N, N) complex interleaved Float64Array; in is left unchanged.
 */
export function fft2(input: Float64Array, out: Float64Array, n: number): void {
  transform2(input, out, n, false);
}

/** Full inverse 2-D FFT, normalised by 1/N² so that ifft2(fft2(u)) = u. */
export function ifft2(input: Float64Array, out: Float64Array, n: number): void {
  transform2(input, out, n, true);
}

function transform2(input: Float64Array, out: Float64Array, n: number, inverse: boolean): void {
  const len = 2 * n * n;
  if (input.length !== len || out.length !== len) throw new Error(`fft2: expected ${len} values for N=${n}`);
  const f = fft1d(n);
  const a = new Float64Array(2 * n);
  const b = new Float64Array(2 * n);
  for (let y = 0; y < n; y++) {
    const row = input.subarray(2 * y * n, 2 * (y + 1) * n);
    if (inverse) f.inverseTransform(out.subarray(2 * y * n, 2 * (y + 1) * n), row);
    else f.transform(out.subarray(2 * y * n, 2 * (y + 1) * n), row);
  }
  for (let x = 0; x < n; x++) {
    for (let y = 0; y < n; y++) {
      a[2 * y] = out[2 * (y * n + x)]!;
      a[2 * y + 1] = out[2 * (y * n + x) + 1]!;
    }
    if (inverse) f.inverseTransform(b, a);
    else f.transform(b, a);
    for (let y = 0; y < n; y++) {
      out[2 * (y * n + x)] = b[2 * y]!;
      out[2 * (y * n + x) + 1] = b[2 * y + 1]!;
    }
  }
}

/**
 * Pruned 2-D transform pair for band-limited imaging.
 *
 * The spectrum is kept only for the columns |kx| ≤ cutoff, stored column-major
 * ("band" layout): band[2 (j N + ky)] is the value at (ky, kx = columns[j]).
 */
export class BandFft {
  readonly n: number;
  /** Frequency columns kept (unsigned bin indices), ascending signed order. */
  readonly columns: Int32Array;
  private readonly fft: FFT;
  private readonly rowIn: Float64Array;
  private readonly rowOut: Float64Array;
  private readonly colTmp: Float64Array;
  /** Row-transformed values of the kept columns, column-major (|columns| × N complex). */
  private readonly partial: Float64Array;
  /** Inverse column transforms, column-major (|columns| × N complex). */
  private readonly inverseCols: Float64Array;

  constructor(n: number, cutoffIndex: number) {
    this.n = n;
    this.fft = fft1d(n);
    const c = Math.min(Math.floor(cutoffIndex), n / 2 - 1);
    const cols: number[] = [];
    for (let s = -c; s <= c; s++) cols.push(s < 0 ? s + n : s);
    this.columns = Int32Array.from(cols);
    this.rowIn = new Float64Array(2 * n);
    this.rowOut = new Float64Array(2 * n);
    this.colTmp = new Float64Array(2 * n);
    this.partial = new Float64Array(2 * n * cols.length);
    this.inverseCols = new Float64Array(2 * n * cols.length);
  }

  /** Allocates a spectrum in band layout (|columns| × N complex). */
  createBand(): Float64Array {
    return new Float64Array(2 * this.n * this.columns.length);
  }

  /**
   * Forward transform of a full (N, N) complex field; writes only the kept
   * columns of its spectrum into `band` (band layout, unnormalised).
   */
  forward(field: Float64Array, band: Float64Array): void {
    const { n, columns, fft, rowOut, partial } = this;
    const m = columns.length;
    for (let y = 0; y < n; y++) {
      fft.transform(rowOut, field.subarray(2 * y * n, 2 * (y + 1) * n));
      for (let j = 0; j < m; j++) {
        const kx = columns[j]!;
        partial[2 * (j * n + y)] = rowOut[2 * kx]!;
        partial[2 * (j * n + y) + 1] = rowOut[2 * kx + 1]!;
      }
    }
    for (let j = 0; j < m; j++) {
      fft.transform(band.subarray(2 * j * n, 2 * (j + 1) * n), partial.subarray(2 * j * n, 2 * (j + 1) * n));
    }
  }

  /**
   * Inverse transform of `band` multiplied by a transfer function, returning
   * |field|² on the crop rows [y0, y0+h) × columns [x0, x0+w) into `out`
   * ((h, w) float32, row-major). The transfer function is given as a list of
   * (band index, complex value) pairs for its non-zero entries.
   */
  inverseIntensity(
    band: Float64Array,
    transfer: TransferFunction,
    x0: number,
    y0: number,
    w: number,
    h: number,
    out: Float32Array,
  ): void {
    const { n, columns, fft, colTmp, inverseCols, rowIn, rowOut } = this;
    const m = columns.length;
    if (transfer.n !== n || transfer.columnCount !== m) throw new Error('BandFft: transfer function built for another size');
    const { index, re, im, columnStart } = transfer;
    for (let j = 0; j < m; j++) {
      colTmp.fill(0);
      const base = 2 * j * n;
      for (let p = columnStart[j]!; p < columnStart[j + 1]!; p++) {
        const q = index[p]!;
        const ky2 = 2 * (q - j * n);
        const br = band[2 * q]!;
        const bi = band[2 * q + 1]!;
        const tr = re[p]!;
        const ti = im[p]!;
        colTmp[ky2] = br * tr - bi * ti;
        colTmp[ky2 + 1] = br * ti + bi * tr;
      }
      fft.inverseTransform(inverseCols.subarray(base, base + 2 * n), colTmp);
    }
    for (let r = 0; r < h; r++) {
      const y = y0 + r;
      rowIn.fill(0);
      for (let j = 0; j < m; j++) {
        const kx = columns[j]!;
        rowIn[2 * kx] = inverseCols[2 * (j * n + y)]!;
        rowIn[2 * kx + 1] = inverseCols[2 * (j * n + y) + 1]!;
      }
      fft.inverseTransform(rowOut, rowIn);
      const o = r * w;
      for (let c = 0; c < w; c++) {
        const a = rowOut[2 * (x0 + c)]!;
        const b = rowOut[2 * (x0 + c) + 1]!;
        out[o + c] = a * a + b * b;
      }
    }
  }
}

/**
 * Sparse transfer function on the band layout of a BandFft: the non-zero
 * entries only (inside the pupil), grouped by column.
 */
export interface TransferFunction {
  n: number;
  columnCount: number;
  /** Band index j·N + ky of each non-zero entry. */
  index: Int32Array;
  re: Float64Array;
  im: Float64Array;
  /** Entries of column j are [columnStart[j], columnStart[j+1]). */
  columnStart: Int32Array;
}
