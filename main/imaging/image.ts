/**
 * The one image type of main/imaging: a single-channel (H, W) float32 image,
 * row-major, pixel (y, x) at data[y * width + x]. Intensities are nominally in
 * [0, 1] (8-bit / 255, 16-bit / 65535); functions that need the range say so.
 *
 * Pure module: no node, no electron.
 */
export interface Image {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

/**
 * Wrap (or allocate) a (H, W) float32 row-major image. `data` is used as is
 * (not copied); without it a zero-filled array is allocated.
 * Throws when the dimensions are not positive integers or the length is wrong.
 */
export function makeImage(width: number, height: number, data?: Float32Array): Image {
  const img: Image = { width, height, data: data ?? new Float32Array(checkedSize(width, height, 'makeImage')) };
  assertImage(img, 'makeImage');
  return img;
}

/** Deep copy of an image (new data buffer). */
export function cloneImage(img: Image): Image {
  assertImage(img, 'cloneImage');
  return { width: img.width, height: img.height, data: img.data.slice() };
}

function checkedSize(width: number, height: number, where: string): number {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new Error(`${where}: image size must be positive integers, got ${width}×${height} (W×H)`);
  }
  return width * height;
}

/**
 * Check that `img` is a well-formed Image: positive integer size, a
 * Float32Array data buffer of exactly width·height values.
 * `name` names the argument in the error message.
 */
export function assertImage(img: Image, name: string): void {
  if (img === null || typeof img !== 'object') throw new Error(`${name}: expected an Image {width, height, data}`);
  const n = checkedSize(img.width, img.height, name);
  if (!(img.data instanceof Float32Array)) {
    throw new Error(`${name}: image data must be a Float32Array, got ${Object.prototype.toString.call(img.data)}`);
  }
  if (img.data.length !== n) {
    throw new Error(`${name}: data has ${img.data.length} values, expected width·height = ${img.width}·${img.height} = ${n}`);
  }
}

/** Throw when any pixel of `img` is NaN or ±Infinity, naming the first offending pixel. */
export function assertFinite(img: Image, name: string): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i]!)) {
      const y = Math.floor(i / img.width);
      throw new Error(`${name}: pixel (y=${y}, x=${i - y * img.width}) is ${d[i]}; images must be finite`);
    }
  }
}

/** assertImage + assertFinite + a minimum size (in pixels, per side). */
export function assertValidImage(img: Image, name: string, minWidth = 1, minHeight = minWidth): void {
  assertImage(img, name);
  if (img.width < minWidth || img.height < minHeight) {
    throw new Error(`${name}: image is ${img.width}×${img.height} (W×H), needs at least ${minWidth}×${minHeight}`);
  }
  assertFinite(img, name);
}

/** Throw unless `a` and `b` have the same width and height. */
export function assertSameShape(a: Image, b: Image, nameA: string, nameB: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(
      `size mismatch: ${nameA} is ${a.width}×${a.height} but ${nameB} is ${b.width}×${b.height} (W×H)`,
    );
  }
}
