/**
 * Simple charts rendered without a browser: grouped bar charts (e.g. usable
 * videos before / after restoration per block, as in PostFocus Fig. 8) and
 * line charts (e.g. p(OOF) over time with the decision threshold), to PNG
 * (a built-in 5×7 bitmap font, anti-aliased lines) or to SVG for HTML reports.
 *
 * One layout step turns a chart description into a list of drawing
 * primitives; the PNG rasteriser and the SVG writer both draw that list, so the
 * two outputs have the same geometry.
 *
 * Coordinates are pixels, origin top-left. Pure module apart from the PNG
 * encoder (pngjs, node's Buffer).
 */
import { GLYPH_HEIGHT, glyphFor, textWidth } from './font5x7.js';
import { encodeRgbPng } from './display.js';

// ---------------------------------------------------------------- chart specs

export interface BarSeries {
  name: string;
  /** One value per category; null / NaN leaves a gap. */
  values: ReadonlyArray<number | null>;
  /** '#rrggbb'; default from the palette. */
  color?: string;
}

/** Grouped bar chart: one group per category, one bar per series in each group. */
export interface BarChartSpec {
  kind: 'bar';
  title?: string;
  xLabel?: string;
  yLabel?: string;
  categories: ReadonlyArray<string>;
  series: ReadonlyArray<BarSeries>;
  /** Value axis range; default from 0 (or the data minimum if negative) to a round number ≥ the maximum. */
  yMin?: number;
  yMax?: number;
  /** Print each bar's value above it (default false). */
  showValues?: boolean;
}

export interface LineSeries {
  name: string;
  x: ReadonlyArray<number>;
  /** Same length as x; null / NaN breaks the line. */
  y: ReadonlyArray<number | null>;
  color?: string;
  /** Draw a dot at each point (default false). */
  markers?: boolean;
}

/** A dashed horizontal line, e.g. the OOF decision threshold. */
export interface ReferenceLine {
  y: number;
  label?: string;
  color?: string;
}

export interface LineChartSpec {
  kind: 'line';
  title?: string;
  xLabel?: string;
  yLabel?: string;
  series: ReadonlyArray<LineSeries>;
  xMin?: number;
  xMax?: number;
  yMin?: number;
  yMax?: number;
  referenceLines?: ReadonlyArray<ReferenceLine>;
}

export type ChartSpec = BarChartSpec | LineChartSpec;

export interface ChartRenderOptions {
  /** Output size in pixels (defaults 720 × 420; each side 160–4096). */
  width?: number;
  height?: number;
  /** Integer scale of the 5×7 font for labels (default 2: 10×14 px glyphs). */
  fontScale?: number;
  /** Integer scale of the title font (default fontScale + 1). */
  titleScale?: number;
}

/** Tableau-10-like palette, in series order. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

// ---------------------------------------------------------------- primitives

/** Drawing primitives produced by layoutChart(). */
export type Primitive =
  | { type: 'rect'; x: number; y: number; w: number; h: number; fill: string }
  | { type: 'line'; x1: number; y1: number; x2: number; y2: number; stroke: string; width: number; dash?: readonly [number, number] }
  | { type: 'polyline'; points: ReadonlyArray<readonly [number, number]>; stroke: string; width: number }
  | { type: 'circle'; cx: number; cy: number; r: number; fill: string }
  | {
      type: 'text';
      /** Anchor point: x per `anchor`; y is the top of the capitals (rotated: the centre). */
      x: number;
      y: number;
      text: string;
      scale: number;
      fill: string;
      anchor: 'start' | 'middle' | 'end';
      /** Rotated 90° counter-clockwise, centred on (x, y). */
      rotated?: boolean;
    };

/** A laid-out chart: size, background and primitives in drawing order. */
export interface ChartDrawing {
  width: number;
  height: number;
  background: string;
  primitives: Primitive[];
}

const AXIS = '#333333';
const GRID = '#e3e3e3';
const TEXT = '#222222';
const MUTED = '#555555';

// ---------------------------------------------------------------- axis ticks

/** Round tick step (1, 2 or 5 × 10^k) giving about `target` intervals over `range`. */
export function niceStep(range: number, target: number): number {
  const raw = range / Math.max(1, target);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const mult = norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10;
  return mult * mag;
}

/** Axis domain expanded to multiples of a nice step, and its ticks. */
export function niceAxis(lo: number, hi: number, target: number, fixedLo?: number, fixedHi?: number): { lo: number; hi: number; ticks: number[]; step: number } {
  let a = fixedLo ?? lo;
  let b = fixedHi ?? hi;
  if (!(b > a)) {
    // Degenerate range (one value, or all equal): open it around the value.
    const pad = a === 0 ? 1 : Math.abs(a) * 0.1;
    if (fixedLo === undefined) a -= pad;
    if (fixedHi === undefined) b += pad;
    if (!(b > a)) b = a + 1;
  }
  const step = niceStep(b - a, target);
  const eps = step * 1e-9;
  if (fixedLo === undefined) a = Math.floor(a / step + 1e-9) * step;
  if (fixedHi === undefined) b = Math.ceil(b / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(a / step - 1e-9) * step; t <= b + eps; t += step) ticks.push(Math.abs(t) < eps ? 0 : t);
  return { lo: a, hi: b, ticks, step };
}

/** Tick label with as many decimals as the step needs. */
export function formatTick(v: number, step: number): string {
  const decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const s = v.toFixed(Math.min(decimals, 10));
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** Bar value label: integers as they are, other values to 3 significant digits. */
function formatValue(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

// ---------------------------------------------------------------- validation

function checkColor(c: string, where: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(c)) throw new Error(`${where}: colour must be '#rrggbb', got '${c}'`);
  return c;
}

function finiteOrNull(v: number | null | undefined): v is number {
  return v !== null && v !== undefined && Number.isFinite(v);
}

function validate(spec: ChartSpec): void {
  if (spec.series.length === 0) throw new Error(`chart: a ${spec.kind} chart needs at least one series`);
  spec.series.forEach((s, i) => { if (s.color !== undefined) checkColor(s.color, `chart: series ${i} (${s.name})`); });
  for (const [k, v] of Object.entries({ xMin: (spec as LineChartSpec).xMin, xMax: (spec as LineChartSpec).xMax, yMin: spec.yMin, yMax: spec.yMax })) {
    if (v !== undefined && !Number.isFinite(v)) throw new Error(`chart: ${k} must be finite, got ${v}`);
  }
  if (spec.yMin !== undefined && spec.yMax !== undefined && !(spec.yMax > spec.yMin)) {
    throw new Error(`chart: yMax (${spec.yMax}) must exceed yMin (${spec.yMin})`);
  }
  if (spec.kind === 'bar') {
    if (spec.categories.length === 0) throw new Error('chart: a bar chart needs at least one category');
    spec.series.forEach((s, i) => {
      if (s.values.length !== spec.categories.length) {
        throw new Error(`chart: series ${i} (${s.name}) has ${s.values.length} values for ${spec.categories.length} categories`);
      }
    });
  } else {
    spec.series.forEach((s, i) => {
      if (s.x.length !== s.y.length) throw new Error(`chart: series ${i} (${s.name}) has ${s.x.length} x values but ${s.y.length} y values`);
      s.x.forEach((x, j) => { if (!Number.isFinite(x)) throw new Error(`chart: series ${i} (${s.name}) x[${j}] is ${x}`); });
    });
    for (const r of spec.referenceLines ?? []) {
      if (!Number.isFinite(r.y)) throw new Error(`chart: reference line y must be finite, got ${r.y}`);
      if (r.color !== undefined) checkColor(r.color, 'chart: reference line');
    }
  }
}

// ---------------------------------------------------------------- layout

/**
 * Lay out a chart into drawing primitives (see ChartDrawing). Throws on an
 * invalid description (no series, length mismatches, non-finite x, bad colours,
 * sizes outside 160–4096 px).
 */
export function layoutChart(spec: ChartSpec, options: ChartRenderOptions = {}): ChartDrawing {
  validate(spec);
  const W = options.width ?? 720;
  const H = options.height ?? 420;
  const s = options.fontScale ?? 2;
  const ts = options.titleScale ?? s + 1;
  for (const [k, v, lo, hi] of [['width', W, 160, 4096], ['height', H, 160, 4096], ['fontScale', s, 1, 8], ['titleScale', ts, 1, 8]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`chart: ${k} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  const prims: Primitive[] = [];
  const capH = GLYPH_HEIGHT * s;
  const pad = 6 * s;
  const gap = 3 * s;
  const tickLen = 2 * s;

  let top = pad;
  if (spec.title) {
    // Shrink a long title down to the label scale, then shorten it.
    let scale = ts;
    while (scale > Math.min(s, ts) && textWidth(spec.title, scale) > W - 2 * pad) scale--;
    const title = fitText(spec.title, W - 2 * pad, scale);
    prims.push({ type: 'text', x: Math.round(W / 2), y: top, text: title, scale, fill: TEXT, anchor: 'middle' });
    top += GLYPH_HEIGHT * scale + 2 * gap;
  }

  // Legend: centred rows of [swatch name], wrapped to the width.
  const colors = spec.series.map((se, i) => se.color ?? PALETTE[i % PALETTE.length]!);
  const items = spec.series.map((se, i) => ({ name: se.name, color: colors[i]! })).filter((it) => it.name !== '');
  if (items.length > 0) {
    const sw = capH;
    const itemW = (name: string) => sw + gap + textWidth(name, s);
    const spacing = 4 * gap;
    const rows: (typeof items)[] = [[]];
    let rowW = 0;
    for (const it of items) {
      const w = itemW(it.name);
      const cur = rows[rows.length - 1]!;
      if (cur.length > 0 && rowW + spacing + w > W - 2 * pad) {
        rows.push([it]);
        rowW = w;
      } else {
        rowW += (cur.length > 0 ? spacing : 0) + w;
        cur.push(it);
      }
    }
    for (const row of rows) {
      const total = row.reduce((acc, it, k) => acc + itemW(it.name) + (k > 0 ? spacing : 0), 0);
      let x = Math.round((W - total) / 2);
      for (const it of row) {
        if (spec.kind === 'bar') prims.push({ type: 'rect', x, y: top, w: sw, h: sw, fill: it.color });
        else prims.push({ type: 'rect', x, y: top + Math.floor((sw - s) / 2), w: sw, h: s, fill: it.color });
        prims.push({ type: 'text', x: x + sw + gap, y: top, text: it.name, scale: s, fill: TEXT, anchor: 'start' });
        x += itemW(it.name) + spacing;
      }
      top += capH + 2 * gap;
    }
  }
  const plotTop = top + gap;
  let bottom = H - pad;
  const xLabelY = bottom - capH;
  if (spec.xLabel) bottom -= capH + 2 * gap;
  const plotBottom = bottom - capH - gap - tickLen;
  const plotH = plotBottom - plotTop;
  if (plotH < 4 * capH) throw new Error(`chart: ${W}×${H} px is too small for the title, legend and labels at fontScale ${s}`);

  // Value axis.
  const values: number[] = [];
  if (spec.kind === 'bar') for (const se of spec.series) for (const v of se.values) { if (finiteOrNull(v)) values.push(v); }
  else {
    for (const se of spec.series) for (const v of se.y) { if (finiteOrNull(v)) values.push(v); }
    for (const r of spec.referenceLines ?? []) values.push(r.y);
  }
  if (values.length === 0) throw new Error('chart: no finite values to plot');
  let vMin = Math.min(...values);
  let vMax = Math.max(...values);
  if (spec.kind === 'bar') { vMin = Math.min(0, vMin); vMax = Math.max(0, vMax); }
  const yTarget = Math.max(2, Math.min(10, Math.floor(plotH / (capH * 3.5))));
  const yAxis = niceAxis(vMin, vMax, yTarget, spec.yMin, spec.yMax);
  const yLabels = yAxis.ticks.map((t) => formatTick(t, yAxis.step));
  const yLabelW = Math.max(...yLabels.map((l) => textWidth(l, s)));

  let left = pad;
  if (spec.yLabel) {
    prims.push({ type: 'text', x: left + Math.round(capH / 2), y: Math.round((plotTop + plotBottom) / 2), text: spec.yLabel, scale: s, fill: TEXT, anchor: 'middle', rotated: true });
    left += capH + 2 * gap;
  }
  const plotLeft = left + yLabelW + gap + tickLen;
  // Room on the right for half of the last x tick label (line charts) or a reference-line label.
  const plotRight = W - pad - (spec.kind === 'line' ? 3 * gap : 0);
  const plotW = plotRight - plotLeft;
  if (plotW < 8 * capH) throw new Error(`chart: ${W}×${H} px is too narrow for the axis labels at fontScale ${s}`);
  if (spec.xLabel) prims.push({ type: 'text', x: Math.round((plotLeft + plotRight) / 2), y: xLabelY, text: spec.xLabel, scale: s, fill: TEXT, anchor: 'middle' });

  const yPix = (v: number) => plotBottom - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;
  const clampY = (y: number) => Math.min(plotBottom, Math.max(plotTop, y));

  // Grid and y ticks.
  yAxis.ticks.forEach((t, k) => {
    const y = Math.round(yPix(t));
    if (y !== plotBottom) prims.push({ type: 'rect', x: plotLeft, y, w: plotW, h: 1, fill: GRID });
    prims.push({ type: 'rect', x: plotLeft - tickLen, y, w: tickLen, h: 1, fill: AXIS });
    prims.push({ type: 'text', x: plotLeft - tickLen - gap, y: y - Math.floor(capH / 2), text: yLabels[k]!, scale: s, fill: MUTED, anchor: 'end' });
  });

  const xTickY = plotBottom + tickLen + gap;
  if (spec.kind === 'bar') {
    const n = spec.categories.length;
    const m = spec.series.length;
    const groupW = plotW / n;
    const barW = Math.max(1, Math.floor((groupW * 0.8) / m));
    const base = Math.round(yPix(Math.min(Math.max(0, yAxis.lo), yAxis.hi)));
    const valueScale = Math.max(1, s - 1);
    spec.categories.forEach((cat, c) => {
      const gx = plotLeft + c * groupW;
      const x0 = Math.round(gx + (groupW - m * barW) / 2);
      spec.series.forEach((se, k) => {
        const v = se.values[c];
        if (!finiteOrNull(v)) return;
        const y = Math.round(clampY(yPix(v)));
        const x = x0 + k * barW;
        const h = Math.abs(base - y);
        if (h > 0) prims.push({ type: 'rect', x, y: Math.min(base, y), w: Math.max(1, barW - 1), h, fill: colors[k]! });
        if (spec.showValues) {
          const label = formatValue(v);
          // Only labels that fit over their own bar, so neighbours never overlap.
          if (textWidth(label, valueScale) <= barW) {
            const ly = v >= 0 ? Math.min(base, y) - gap - GLYPH_HEIGHT * valueScale : Math.max(base, y) + gap;
            prims.push({ type: 'text', x: Math.round(x + (barW - 1) / 2), y: ly, text: label, scale: valueScale, fill: MUTED, anchor: 'middle' });
          }
        }
      });
      // A category name that does not fit gets the next smaller font, then '..'.
      const catScale = textWidth(cat, s) <= groupW - gap ? s : Math.max(1, s - 1);
      prims.push({ type: 'text', x: Math.round(gx + groupW / 2), y: xTickY, text: fitText(cat, groupW - gap, catScale), scale: catScale, fill: MUTED, anchor: 'middle' });
      prims.push({ type: 'rect', x: Math.round(gx + groupW / 2), y: plotBottom + 1, w: 1, h: tickLen, fill: AXIS });
    });
  } else {
    const xs = spec.series.flatMap((se) => [...se.x]);
    const xMinData = xs.length ? Math.min(...xs) : 0;
    const xMaxData = xs.length ? Math.max(...xs) : 1;
    const xTarget = Math.max(2, Math.min(12, Math.floor(plotW / (textWidth('00000', s) * 1.6))));
    const xAxis = niceAxis(xMinData, xMaxData, xTarget, spec.xMin, spec.xMax);
    const xPix = (v: number) => plotLeft + ((v - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
    for (const t of xAxis.ticks) {
      const x = Math.round(xPix(t));
      prims.push({ type: 'rect', x, y: plotBottom + 1, w: 1, h: tickLen, fill: AXIS });
      prims.push({ type: 'text', x, y: xTickY, text: formatTick(t, xAxis.step), scale: s, fill: MUTED, anchor: 'middle' });
    }
    const overlay: Primitive[] = []; // reference-line labels, drawn over the data
    for (const r of spec.referenceLines ?? []) {
      const y = Math.round(yPix(r.y));
      if (y < plotTop || y > plotBottom) continue;
      const color = r.color ?? '#888888';
      prims.push({ type: 'line', x1: plotLeft, y1: y + 0.5, x2: plotRight, y2: y + 0.5, stroke: color, width: Math.max(1, Math.round(s / 2)), dash: [3 * s, 2 * s] });
      if (r.label) {
        // On a white plate so data lines crossing the label do not hide it.
        const lw = textWidth(r.label, s);
        overlay.push({ type: 'rect', x: plotRight - gap - lw - s, y: y - gap - capH - s, w: lw + 2 * s, h: capH + 2 * s, fill: '#ffffff' });
        overlay.push({ type: 'text', x: plotRight - gap, y: y - gap - capH, text: r.label, scale: s, fill: color, anchor: 'end' });
      }
    }
    spec.series.forEach((se, k) => {
      let run: [number, number][] = [];
      const flush = () => {
        if (run.length > 1) prims.push({ type: 'polyline', points: run, stroke: colors[k]!, width: s });
        run = [];
      };
      se.x.forEach((xv, j) => {
        const yv = se.y[j];
        if (!finiteOrNull(yv) || xv < xAxis.lo || xv > xAxis.hi) { flush(); return; }
        run.push([xPix(xv), clampY(yPix(yv))]);
      });
      flush();
      if (se.markers) {
        se.x.forEach((xv, j) => {
          const yv = se.y[j];
          if (finiteOrNull(yv) && xv >= xAxis.lo && xv <= xAxis.hi) prims.push({ type: 'circle', cx: xPix(xv), cy: clampY(yPix(yv)), r: 1.5 * s, fill: colors[k]! });
        });
      }
    });
    prims.push(...overlay);
  }

  // Axes last, over the bars.
  prims.push({ type: 'rect', x: plotLeft - 1, y: plotTop, w: 1, h: plotBottom - plotTop + 1, fill: AXIS });
  prims.push({ type: 'rect', x: plotLeft - 1, y: plotBottom, w: plotW + 1, h: 1, fill: AXIS });
  return { width: W, height: H, background: '#ffffff', primitives: prims };
}

/** Shorten text with '..' until it fits maxWidth pixels at the scale. */
function fitText(text: string, maxWidth: number, scale: number): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join('') + '..', scale) > maxWidth) chars.pop();
  return chars.join('') + '..';
}

// ---------------------------------------------------------------- raster

function parseColor(c: string): [number, number, number] {
  const n = parseInt(c.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** An (H, W, 3) uint8 RGB canvas with coverage-blended drawing. */
class Raster {
  readonly rgb: Uint8Array;
  constructor(readonly width: number, readonly height: number, background: string) {
    this.rgb = new Uint8Array(width * height * 3);
    const [r, g, b] = parseColor(background);
    for (let i = 0; i < width * height; i++) { this.rgb[3 * i] = r; this.rgb[3 * i + 1] = g; this.rgb[3 * i + 2] = b; }
  }

  blend(x: number, y: number, color: readonly [number, number, number], alpha: number): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height || alpha <= 0) return;
    const a = Math.min(1, alpha);
    const o = 3 * (y * this.width + x);
    for (let c = 0; c < 3; c++) this.rgb[o + c] = Math.round(this.rgb[o + c]! * (1 - a) + color[c]! * a);
  }

  fillRect(x: number, y: number, w: number, h: number, color: readonly [number, number, number]): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + w));
    const y1 = Math.min(this.height, Math.round(y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.blend(xx, yy, color, 1);
  }

  /** Anti-aliased thick polyline: per-pixel coverage = distance to the path, max over segments. */
  strokePath(points: ReadonlyArray<readonly [number, number]>, width: number, color: readonly [number, number, number]): void {
    const half = width / 2;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const [x, y] of points) { minX = Math.min(minX, x); minY = Math.min(minY, y); maxX = Math.max(maxX, x); maxY = Math.max(maxY, y); }
    const bx0 = Math.max(0, Math.floor(minX - half - 1));
    const by0 = Math.max(0, Math.floor(minY - half - 1));
    const bx1 = Math.min(this.width - 1, Math.ceil(maxX + half + 1));
    const by1 = Math.min(this.height - 1, Math.ceil(maxY + half + 1));
    if (bx1 < bx0 || by1 < by0) return;
    const bw = bx1 - bx0 + 1;
    const cover = new Float32Array(bw * (by1 - by0 + 1));
    for (let k = 0; k + 1 < points.length; k++) {
      const [ax, ay] = points[k]!;
      const [cx, cy] = points[k + 1]!;
      const sx0 = Math.max(bx0, Math.floor(Math.min(ax, cx) - half - 1));
      const sx1 = Math.min(bx1, Math.ceil(Math.max(ax, cx) + half + 1));
      const sy0 = Math.max(by0, Math.floor(Math.min(ay, cy) - half - 1));
      const sy1 = Math.min(by1, Math.ceil(Math.max(ay, cy) + half + 1));
      const dx = cx - ax;
      const dy = cy - ay;
      const len2 = dx * dx + dy * dy;
      for (let py = sy0; py <= sy1; py++) {
        for (let px = sx0; px <= sx1; px++) {
          // Pixel centres at +0.5.
          const qx = px + 0.5 - ax;
          const qy = py + 0.5 - ay;
          const t = len2 > 0 ? Math.min(1, Math.max(0, (qx * dx + qy * dy) / len2)) : 0;
          const d = Math.hypot(qx - t * dx, qy - t * dy);
          const c = Math.min(1, Math.max(0, half + 0.5 - d));
          const o = (py - by0) * bw + (px - bx0);
          if (c > cover[o]!) cover[o] = c;
        }
      }
    }
    for (let py = by0; py <= by1; py++) for (let px = bx0; px <= bx1; px++) this.blend(px, py, color, cover[(py - by0) * bw + (px - bx0)]!);
  }

  dashedLine(x1: number, y1: number, x2: number, y2: number, width: number, dash: readonly [number, number], color: readonly [number, number, number]): void {
    const len = Math.hypot(x2 - x1, y2 - y1);
    if (len === 0) return;
    const ux = (x2 - x1) / len;
    const uy = (y2 - y1) / len;
    for (let d = 0; d < len; d += dash[0] + dash[1]) {
      const e = Math.min(len, d + dash[0]);
      if (uy === 0) {
        // Horizontal dashes: crisp rectangles.
        this.fillRect(Math.min(x1 + ux * d, x1 + ux * e), Math.round(y1 - width / 2), Math.abs(ux * (e - d)), width, color);
      } else {
        this.strokePath([[x1 + ux * d, y1 + uy * d], [x1 + ux * e, y1 + uy * e]], width, color);
      }
    }
  }

  fillCircle(cx: number, cy: number, r: number, color: readonly [number, number, number]): void {
    for (let y = Math.floor(cy - r - 1); y <= Math.ceil(cy + r + 1); y++) {
      for (let x = Math.floor(cx - r - 1); x <= Math.ceil(cx + r + 1); x++) {
        const d = Math.hypot(x + 0.5 - cx, y + 0.5 - cy);
        this.blend(x, y, color, Math.min(1, Math.max(0, r + 0.5 - d)));
      }
    }
  }

  text(p: Extract<Primitive, { type: 'text' }>): void {
    const color = parseColor(p.fill);
    const s = p.scale;
    const w = textWidth(p.text, s);
    const h = GLYPH_HEIGHT * s;
    const chars = [...p.text];
    // Unrotated: (left, top) of the text box; rotated: box of size h × w centred on (x, y).
    const left = p.rotated ? Math.round(p.x - h / 2) : Math.round(p.anchor === 'start' ? p.x : p.anchor === 'middle' ? p.x - w / 2 : p.x - w);
    const topY = p.rotated ? Math.round(p.y - w / 2) : Math.round(p.y);
    chars.forEach((ch, k) => {
      const glyph = glyphFor(ch);
      glyph.forEach((bits, row) => {
        for (let col = 0; col < 5; col++) {
          if (!(bits & (1 << (4 - col)))) continue;
          const gx = (k * 6 + col) * s; // position along the text
          const gy = row * s; // position across the text (rows below 7 are descenders)
          if (p.rotated) this.fillRect(left + gy, topY + (w - gx - s), s, s, color);
          else this.fillRect(left + gx, topY + gy, s, s, color);
        }
      });
    });
  }
}

/** Rasterise a laid-out chart to (H, W, 3) uint8 RGB, row-major, channel-last. */
export function rasterizeChart(drawing: ChartDrawing): { width: number; height: number; rgb: Uint8Array } {
  const r = new Raster(drawing.width, drawing.height, drawing.background);
  for (const p of drawing.primitives) {
    switch (p.type) {
      case 'rect': r.fillRect(p.x, p.y, p.w, p.h, parseColor(p.fill)); break;
      case 'line':
        if (p.dash) r.dashedLine(p.x1, p.y1, p.x2, p.y2, p.width, p.dash, parseColor(p.stroke));
        else r.strokePath([[p.x1, p.y1], [p.x2, p.y2]], p.width, parseColor(p.stroke));
        break;
      case 'polyline': r.strokePath(p.points, p.width, parseColor(p.stroke)); break;
      case 'circle': r.fillCircle(p.cx, p.cy, p.r, parseColor(p.fill)); break;
      case 'text': r.text(p); break;
    }
  }
  return { width: r.width, height: r.height, rgb: r.rgb };
}

/** Render a chart to an RGB PNG (see layoutChart for the options and errors). */
export function renderChartPng(spec: ChartSpec, options: ChartRenderOptions = {}): Buffer {
  const { width, height, rgb } = rasterizeChart(layoutChart(spec, options));
  return encodeRgbPng(rgb, width, height);
}

// ---------------------------------------------------------------- SVG

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (v: number) => String(Math.round(v * 100) / 100);

/**
 * Render a chart as a standalone SVG document string (same layout as the PNG;
 * text in a monospace font sized to the 5×7 grid: 10·scale px, 0.6 em advance).
 */
export function renderChartSvg(spec: ChartSpec, options: ChartRenderOptions = {}): string {
  const d = layoutChart(spec, options);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${d.width}" height="${d.height}" viewBox="0 0 ${d.width} ${d.height}" font-family="DejaVu Sans Mono, Menlo, Consolas, monospace">`,
    `<rect width="${d.width}" height="${d.height}" fill="${d.background}"/>`,
  ];
  if (spec.title) out.push(`<title>${esc(spec.title)}</title>`);
  for (const p of d.primitives) {
    switch (p.type) {
      case 'rect':
        out.push(`<rect x="${num(p.x)}" y="${num(p.y)}" width="${num(p.w)}" height="${num(p.h)}" fill="${p.fill}" shape-rendering="crispEdges"/>`);
        break;
      case 'line':
        out.push(`<line x1="${num(p.x1)}" y1="${num(p.y1)}" x2="${num(p.x2)}" y2="${num(p.y2)}" stroke="${p.stroke}" stroke-width="${p.width}"${p.dash ? ` stroke-dasharray="${p.dash[0]} ${p.dash[1]}"` : ''}/>`);
        break;
      case 'polyline':
        out.push(`<polyline points="${p.points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" fill="none" stroke="${p.stroke}" stroke-width="${p.width}" stroke-linejoin="round" stroke-linecap="round"/>`);
        break;
      case 'circle':
        out.push(`<circle cx="${num(p.cx)}" cy="${num(p.cy)}" r="${num(p.r)}" fill="${p.fill}"/>`);
        break;
      case 'text': {
        const size = 10 * p.scale;
        const baseline = GLYPH_HEIGHT * p.scale;
        if (p.rotated) {
          out.push(`<text transform="translate(${num(p.x)} ${num(p.y)}) rotate(-90)" y="${num(baseline / 2)}" text-anchor="middle" font-size="${size}" fill="${p.fill}">${esc(p.text)}</text>`);
        } else {
          out.push(`<text x="${num(p.x)}" y="${num(p.y + baseline)}" text-anchor="${p.anchor}" font-size="${size}" fill="${p.fill}">${esc(p.text)}</text>`);
        }
        break;
      }
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}
