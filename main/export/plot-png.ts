/**
 * PNG rendering of the report's bar charts (plots/*.png), for slides and lab
 * notebooks where the inline SVG of report.html is not convenient. A small
 * raster painter: filled rectangles and a built-in 5×7 bitmap font (upper-case
 * ASCII), so no font file or native canvas is needed on the station.
 */
import { PNG } from 'pngjs';
import { axisTop, formatValue, type BarChartSpec } from './chart-spec.js';

/** 5×7 glyphs: 7 rows, 5 bits each (bit 4 = leftmost pixel). */
const FONT: Record<string, readonly number[]> = {
  '0': [0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e],
  '1': [0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e],
  '2': [0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f],
  '3': [0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e],
  '4': [0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02],
  '5': [0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e],
  '6': [0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e],
  '7': [0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
  '8': [0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e],
  '9': [0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c],
  A: [0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  B: [0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e],
  C: [0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e],
  D: [0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c],
  E: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f],
  F: [0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10],
  G: [0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f],
  H: [0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11],
  I: [0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e],
  J: [0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c],
  K: [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
  L: [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f],
  M: [0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11],
  N: [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
  O: [0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  P: [0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10],
  Q: [0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d],
  R: [0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11],
  S: [0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e],
  T: [0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
  U: [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e],
  V: [0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04],
  W: [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a],
  X: [0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11],
  Y: [0x11, 0x11, 0x11, 0x0a, 0x04, 0x04, 0x04],
  Z: [0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f],
  ' ': [0, 0, 0, 0, 0, 0, 0],
  '.': [0, 0, 0, 0, 0, 0x0c, 0x0c],
  ',': [0, 0, 0, 0, 0x0c, 0x04, 0x08],
  ':': [0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0],
  '-': [0, 0, 0, 0x1f, 0, 0, 0],
  '+': [0, 0x04, 0x04, 0x1f, 0x04, 0x04, 0],
  '/': [0, 0x01, 0x02, 0x04, 0x08, 0x10, 0],
  '%': [0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03],
  '(': [0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02],
  ')': [0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08],
  _: [0, 0, 0, 0, 0, 0, 0x1f],
  '=': [0, 0, 0x1f, 0, 0x1f, 0, 0],
  '<': [0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02],
  '>': [0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08],
  '&': [0x0c, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0d],
  '#': [0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a],
  '?': [0x0e, 0x11, 0x01, 0x02, 0x04, 0, 0x04],
};

type Rgb = readonly [number, number, number];

/** Parses `#rrggbb`. */
export function parseHexColor(color: string): Rgb {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) throw new Error(`plot colour must be #rrggbb, got "${color}"`);
  const v = parseInt(m[1]!, 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

/** An RGBA raster with rectangle and text painting. */
export class Raster {
  readonly data: Uint8Array;
  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 4);
    for (let i = 0; i < width * height; i++) {
      this.data[4 * i] = background[0];
      this.data[4 * i + 1] = background[1];
      this.data[4 * i + 2] = background[2];
      this.data[4 * i + 3] = 255;
    }
  }

  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) {
      for (let xx = x0; xx < x1; xx++) {
        const o = 4 * (yy * this.width + xx);
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
      }
    }
  }

  /** Width in pixels of `text` at `scale` (6 px advance per glyph at scale 1). */
  static textWidth(text: string, scale: number): number {
    return Math.max(0, text.length * 6 * scale - scale);
  }

  /** Draws upper-cased text; `align` anchors x at the start, middle or end; y is the top. */
  text(x: number, y: number, text: string, c: Rgb, scale = 2, align: 'start' | 'middle' | 'end' = 'start'): void {
    const upper = text.toUpperCase();
    const w = Raster.textWidth(upper, scale);
    let cx = Math.round(align === 'middle' ? x - w / 2 : align === 'end' ? x - w : x);
    for (const ch of upper) {
      const glyph = FONT[ch] ?? FONT['?']!;
      for (let row = 0; row < 7; row++) {
        for (let col = 0; col < 5; col++) {
          if (glyph[row]! & (0x10 >> col)) this.fillRect(cx + col * scale, y + row * scale, scale, scale, c);
        }
      }
      cx += 6 * scale;
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height });
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png);
  }
}

/** A grouped bar chart as PNG bytes (same layout as the report's SVG). */
export function barChartPng(spec: BarChartSpec, width = 640, height = 360): Buffer {
  const r = new Raster(width, height);
  const ink: Rgb = [34, 34, 34];
  const grey: Rgb = [110, 110, 110];
  const m = { left: 72, right: 16, top: 56, bottom: 60 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const top = axisTop(spec);
  const y = (v: number): number => m.top + ph - (top > 0 ? (v / top) * ph : 0);
  r.text(width / 2, 10, spec.title, ink, 2, 'middle');
  r.text(8, 34, spec.yLabel, grey, 1);
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    r.fillRect(m.left, y(v), pw, 1, [221, 221, 221]);
    r.text(m.left - 6, y(v) - 3, formatValue(v, spec.percent), grey, 1, 'end');
  }
  const n = Math.max(1, spec.categories.length);
  const group = pw / n;
  const barW = Math.max(2, (group * 0.75) / Math.max(1, spec.series.length));
  spec.categories.forEach((cat, ci) => {
    const gx = m.left + ci * group + (group - barW * spec.series.length) / 2;
    spec.series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const x = gx + si * barW;
      r.fillRect(x, y(v), barW - 1, m.top + ph - y(v), parseHexColor(s.color));
      r.text(x + barW / 2, y(v) - 10, formatValue(v, spec.percent), ink, 1, 'middle');
    });
    r.text(m.left + ci * group + group / 2, m.top + ph + 8, cat, ink, 1, 'middle');
  });
  r.fillRect(m.left, m.top + ph, pw, 1, ink);
  r.fillRect(m.left, m.top, 1, ph, ink);
  if (spec.series.length > 1) {
    spec.series.forEach((s, i) => {
      const lx = m.left + i * 120;
      const ly = height - 22;
      r.fillRect(lx, ly, 12, 12, parseHexColor(s.color));
      r.text(lx + 18, ly + 2, s.name, ink, 1);
    });
  }
  return r.toPng();
}
