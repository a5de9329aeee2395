/**
 * Charts without a browser: grouped bar charts (usable videos before / after
 * restoration per block, as in PostFocus Fig. 8) and line charts (backlogs over
 * time in bench:live), as SVG for HTML reports, rasterised to PNG by resvg where a
 * file must be a PNG (eval --chart, the export's plots/, the benchmark plot).
 *
 * One layout step turns a chart description into drawing primitives; the SVG
 * writer draws them. Text is measured as a monospace font
 * (0.6 em advance, capitals 0.7 em high at 10·scale px), the font the SVG asks for.
 *
 * Coordinates are pixels, origin top-left. Pure module apart from the PNG
 * rasteriser.
 */
import { Resvg } from '@resvg/resvg-js';

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
  /** Scale of the label text (default 2: 10·2 px font). */
  fontScale?: number;
  /** Scale of the title (default fontScale + 1). */
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

/** Height of capitals at scale 1 (px). */
const CAP_HEIGHT = 7;
/** Advance per character at scale 1 (px): 0.6 em of a 10 px monospace font. */
const ADVANCE = 6;

/** Width of a label in pixels at a scale (monospace; the last character's spacing not counted). */
export function textWidth(text: string, scale: number): number {
  const n = [...text].length;
  return n === 0 ? 0 : (n * ADVANCE - 1) * scale;
}

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
  const xRange = spec.kind === 'line' ? { xMin: spec.xMin, xMax: spec.xMax } : {};
  for (const [k, v] of Object.entries({ ...xRange, yMin: spec.yMin, yMax: spec.yMax })) {
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
    return;
  }
  spec.series.forEach((s, i) => {
    if (s.x.length !== s.y.length) throw new Error(`chart: series ${i} (${s.name}) has ${s.x.length} x values but ${s.y.length} y values`);
    s.x.forEach((x, j) => { if (!Number.isFinite(x)) throw new Error(`chart: series ${i} (${s.name}) x[${j}] is ${x}`); });
  });
  for (const r of spec.referenceLines ?? []) {
    if (!Number.isFinite(r.y)) throw new Error(`chart: reference line y must be finite, got ${r.y}`);
    if (r.color !== undefined) checkColor(r.color, 'chart: reference line');
  }
}

// ---------------------------------------------------------------- layout

/** Sizes shared by the layout steps, from the font scale. */
interface Metrics {
  W: number;
  H: number;
  s: number;
  ts: number;
  capH: number;
  pad: number;
  gap: number;
  tickLen: number;
}

function metricsOf(options: ChartRenderOptions): Metrics {
  const W = options.width ?? 720;
  const H = options.height ?? 420;
  const s = options.fontScale ?? 2;
  const ts = options.titleScale ?? s + 1;
  for (const [k, v, lo, hi] of [['width', W, 160, 4096], ['height', H, 160, 4096], ['fontScale', s, 1, 8], ['titleScale', ts, 1, 8]] as const) {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`chart: ${k} must be an integer in [${lo}, ${hi}], got ${v}`);
  }
  return { W, H, s, ts, capH: CAP_HEIGHT * s, pad: 6 * s, gap: 3 * s, tickLen: 2 * s };
}

/** The title, shrunk to the label scale and then shortened to fit; returns the y below it. */
function layoutTitle(title: string | undefined, m: Metrics, top: number, prims: Primitive[]): number {
  if (!title) return top;
  let scale = m.ts;
  while (scale > Math.min(m.s, m.ts) && textWidth(title, scale) > m.W - 2 * m.pad) scale--;
  prims.push({ type: 'text', x: Math.round(m.W / 2), y: top, text: fitText(title, m.W - 2 * m.pad, scale), scale, fill: TEXT, anchor: 'middle' });
  return top + CAP_HEIGHT * scale + 2 * m.gap;
}

/** Legend: centred rows of [swatch name], wrapped to the width; returns the y below it. */
function layoutLegend(items: { name: string; color: string }[], lines: boolean, m: Metrics, top: number, prims: Primitive[]): number {
  const named = items.filter((it) => it.name !== '');
  if (named.length === 0) return top;
  const sw = m.capH;
  const itemW = (name: string) => sw + m.gap + textWidth(name, m.s);
  const spacing = 4 * m.gap;
  const rows: (typeof named)[] = [[]];
  let rowW = 0;
  for (const it of named) {
    const w = itemW(it.name);
    const cur = rows[rows.length - 1]!;
    if (cur.length > 0 && rowW + spacing + w > m.W - 2 * m.pad) {
      rows.push([it]);
      rowW = w;
    } else {
      rowW += (cur.length > 0 ? spacing : 0) + w;
      cur.push(it);
    }
  }
  for (const row of rows) {
    const total = row.reduce((acc, it, k) => acc + itemW(it.name) + (k > 0 ? spacing : 0), 0);
    let x = Math.round((m.W - total) / 2);
    for (const it of row) {
      if (lines) prims.push({ type: 'rect', x, y: top + Math.floor((sw - m.s) / 2), w: sw, h: m.s, fill: it.color });
      else prims.push({ type: 'rect', x, y: top, w: sw, h: sw, fill: it.color });
      prims.push({ type: 'text', x: x + sw + m.gap, y: top, text: it.name, scale: m.s, fill: TEXT, anchor: 'start' });
      x += itemW(it.name) + spacing;
    }
    top += m.capH + 2 * m.gap;
  }
  return top;
}

/** Where the plot area lies and how values map to y. */
interface Plot {
  left: number;
  right: number;
  top: number;
  bottom: number;
  yPix: (v: number) => number;
  yAxis: ReturnType<typeof niceAxis>;
}

/** Axis labels, value axis, grid and y ticks around the plot area below `top`. */
function layoutAxes(spec: ChartSpec, m: Metrics, top: number, prims: Primitive[]): Plot {
  const { W, H, s, capH, pad, gap, tickLen } = m;
  const plotTop = top + gap;
  let bottom = H - pad;
  const xLabelY = bottom - capH;
  if (spec.xLabel) bottom -= capH + 2 * gap;
  const plotBottom = bottom - capH - gap - tickLen;
  const plotH = plotBottom - plotTop;
  if (plotH < 4 * capH) throw new Error(`chart: ${W}×${H} px is too small for the title, legend and labels at fontScale ${s}`);

  const values =
    spec.kind === 'bar'
      ? spec.series.flatMap((se) => se.values.filter(finiteOrNull))
      : [...spec.series.flatMap((se) => se.y.filter(finiteOrNull)), ...(spec.referenceLines ?? []).map((r) => r.y)];
  if (values.length === 0) throw new Error('chart: no finite values to plot');
  // Bars stand on zero; lines span their data.
  const vMin = spec.kind === 'bar' ? Math.min(0, ...values) : Math.min(...values);
  const vMax = spec.kind === 'bar' ? Math.max(0, ...values) : Math.max(...values);
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
  // Room on the right for half of the last x tick label of a line chart.
  const plotRight = W - pad - (spec.kind === 'line' ? 3 * gap : 0);
  const plotW = plotRight - plotLeft;
  if (plotW < 8 * capH) throw new Error(`chart: ${W}×${H} px is too narrow for the axis labels at fontScale ${s}`);
  if (spec.xLabel) prims.push({ type: 'text', x: Math.round((plotLeft + plotRight) / 2), y: xLabelY, text: spec.xLabel, scale: s, fill: TEXT, anchor: 'middle' });

  const yPix = (v: number) => plotBottom - ((v - yAxis.lo) / (yAxis.hi - yAxis.lo)) * plotH;
  yAxis.ticks.forEach((t, k) => {
    const y = Math.round(yPix(t));
    if (y !== plotBottom) prims.push({ type: 'rect', x: plotLeft, y, w: plotW, h: 1, fill: GRID });
    prims.push({ type: 'rect', x: plotLeft - tickLen, y, w: tickLen, h: 1, fill: AXIS });
    prims.push({ type: 'text', x: plotLeft - tickLen - gap, y: y - Math.floor(capH / 2), text: yLabels[k]!, scale: s, fill: MUTED, anchor: 'end' });
  });
  return { left: plotLeft, right: plotRight, top: plotTop, bottom: plotBottom, yPix, yAxis };
}

/** The bars of each category, their value labels, and the category names and ticks. */
function layoutBars(spec: BarChartSpec, colors: string[], m: Metrics, plot: Plot, prims: Primitive[]): void {
  const { s, gap, tickLen } = m;
  const n = spec.categories.length;
  const k = spec.series.length;
  const groupW = (plot.right - plot.left) / n;
  const barW = Math.max(1, Math.floor((groupW * 0.8) / k));
  const base = Math.round(plot.yPix(Math.min(Math.max(0, plot.yAxis.lo), plot.yAxis.hi)));
  const clampY = (y: number) => Math.min(plot.bottom, Math.max(plot.top, y));
  const valueScale = Math.max(1, s - 1);
  const xTickY = plot.bottom + tickLen + gap;
  spec.categories.forEach((cat, c) => {
    const gx = plot.left + c * groupW;
    const x0 = Math.round(gx + (groupW - k * barW) / 2);
    spec.series.forEach((se, j) => {
      const v = se.values[c];
      if (!finiteOrNull(v)) return;
      const y = Math.round(clampY(plot.yPix(v)));
      const x = x0 + j * barW;
      const h = Math.abs(base - y);
      if (h > 0) prims.push({ type: 'rect', x, y: Math.min(base, y), w: Math.max(1, barW - 1), h, fill: colors[j]! });
      if (spec.showValues) {
        const label = formatValue(v);
        // Only labels that fit over their own bar, so neighbours never overlap.
        if (textWidth(label, valueScale) <= barW) {
          const ly = v >= 0 ? Math.min(base, y) - gap - CAP_HEIGHT * valueScale : Math.max(base, y) + gap;
          prims.push({ type: 'text', x: Math.round(x + (barW - 1) / 2), y: ly, text: label, scale: valueScale, fill: MUTED, anchor: 'middle' });
        }
      }
    });
    // A category name that does not fit gets the next smaller font, then '..'.
    const catScale = textWidth(cat, s) <= groupW - gap ? s : Math.max(1, s - 1);
    prims.push({ type: 'text', x: Math.round(gx + groupW / 2), y: xTickY, text: fitText(cat, groupW - gap, catScale), scale: catScale, fill: MUTED, anchor: 'middle' });
    prims.push({ type: 'rect', x: Math.round(gx + groupW / 2), y: plot.bottom + 1, w: 1, h: tickLen, fill: AXIS });
  });
}

/** The x axis, reference lines (labels over the data), polylines and markers of a line chart. */
function layoutLines(spec: LineChartSpec, colors: string[], m: Metrics, plot: Plot, prims: Primitive[]): void {
  const { s, gap, capH, tickLen } = m;
  const plotW = plot.right - plot.left;
  const clampY = (y: number) => Math.min(plot.bottom, Math.max(plot.top, y));
  const xs = spec.series.flatMap((se) => [...se.x]);
  const xMinData = xs.length ? Math.min(...xs) : 0;
  const xMaxData = xs.length ? Math.max(...xs) : 1;
  const xTarget = Math.max(2, Math.min(12, Math.floor(plotW / (textWidth('00000', s) * 1.6))));
  const xAxis = niceAxis(xMinData, xMaxData, xTarget, spec.xMin, spec.xMax);
  const xPix = (v: number) => plot.left + ((v - xAxis.lo) / (xAxis.hi - xAxis.lo)) * plotW;
  const xTickY = plot.bottom + tickLen + gap;
  for (const t of xAxis.ticks) {
    const x = Math.round(xPix(t));
    prims.push({ type: 'rect', x, y: plot.bottom + 1, w: 1, h: tickLen, fill: AXIS });
    prims.push({ type: 'text', x, y: xTickY, text: formatTick(t, xAxis.step), scale: s, fill: MUTED, anchor: 'middle' });
  }
  const overlay: Primitive[] = [];
  for (const r of spec.referenceLines ?? []) {
    const y = Math.round(plot.yPix(r.y));
    if (y < plot.top || y > plot.bottom) continue;
    const color = r.color ?? '#888888';
    prims.push({ type: 'line', x1: plot.left, y1: y + 0.5, x2: plot.right, y2: y + 0.5, stroke: color, width: Math.max(1, Math.round(s / 2)), dash: [3 * s, 2 * s] });
    if (r.label) {
      // On a white plate so data lines crossing the label do not hide it.
      const lw = textWidth(r.label, s);
      overlay.push({ type: 'rect', x: plot.right - gap - lw - s, y: y - gap - capH - s, w: lw + 2 * s, h: capH + 2 * s, fill: '#ffffff' });
      overlay.push({ type: 'text', x: plot.right - gap, y: y - gap - capH, text: r.label, scale: s, fill: color, anchor: 'end' });
    }
  }
  const inRange = (xv: number, yv: number | null | undefined): yv is number => finiteOrNull(yv) && xv >= xAxis.lo && xv <= xAxis.hi;
  spec.series.forEach((se, k) => {
    let run: [number, number][] = [];
    const flush = () => {
      if (run.length > 1) prims.push({ type: 'polyline', points: run, stroke: colors[k]!, width: s });
      run = [];
    };
    se.x.forEach((xv, j) => {
      const yv = se.y[j];
      if (inRange(xv, yv)) run.push([xPix(xv), clampY(plot.yPix(yv))]);
      else flush();
    });
    flush();
    if (!se.markers) return;
    se.x.forEach((xv, j) => {
      const yv = se.y[j];
      if (inRange(xv, yv)) prims.push({ type: 'circle', cx: xPix(xv), cy: clampY(plot.yPix(yv)), r: 1.5 * s, fill: colors[k]! });
    });
  });
  prims.push(...overlay);
}

/**
 * Lay out a chart into drawing primitives (see ChartDrawing). Throws on an
 * invalid description (no series, length mismatches, non-finite x, bad colours,
 * sizes outside 160–4096 px).
 */
export function layoutChart(spec: ChartSpec, options: ChartRenderOptions = {}): ChartDrawing {
  validate(spec);
  const m = metricsOf(options);
  const prims: Primitive[] = [];
  const colors = spec.series.map((se, i) => se.color ?? PALETTE[i % PALETTE.length]!);
  let top = layoutTitle(spec.title, m, m.pad, prims);
  top = layoutLegend(spec.series.map((se, i) => ({ name: se.name, color: colors[i]! })), spec.kind === 'line', m, top, prims);
  const plot = layoutAxes(spec, m, top, prims);
  if (spec.kind === 'bar') layoutBars(spec, colors, m, plot, prims);
  else layoutLines(spec, colors, m, plot, prims);
  // Axes last, over the bars.
  prims.push({ type: 'rect', x: plot.left - 1, y: plot.top, w: 1, h: plot.bottom - plot.top + 1, fill: AXIS });
  prims.push({ type: 'rect', x: plot.left - 1, y: plot.bottom, w: plot.right - plot.left + 1, h: 1, fill: AXIS });
  return { width: m.W, height: m.H, background: '#ffffff', primitives: prims };
}

/** Shorten text with '..' until it fits maxWidth pixels at the scale. */
function fitText(text: string, maxWidth: number, scale: number): string {
  if (textWidth(text, scale) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join('') + '..', scale) > maxWidth) chars.pop();
  return chars.join('') + '..';
}

// ---------------------------------------------------------------- SVG and PNG

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const num = (v: number) => String(Math.round(v * 100) / 100);

/** Monospace fonts the SVG asks for, the first one installed wins (resvg and browsers alike). */
const FONT_FAMILY = 'DejaVu Sans Mono, Liberation Mono, Menlo, Consolas, monospace';

/** Render a chart as a standalone SVG document string. */
export function renderChartSvg(spec: ChartSpec, options: ChartRenderOptions = {}): string {
  const d = layoutChart(spec, options);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${d.width}" height="${d.height}" viewBox="0 0 ${d.width} ${d.height}" font-family="${FONT_FAMILY}">`,
    `<rect width="${d.width}" height="${d.height}" fill="${d.background}"/>`,
  ];
  if (spec.title) out.push(`<title>${esc(spec.title)}</title>`);
  for (const p of d.primitives) out.push(svgElement(p));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function svgElement(p: Primitive): string {
  switch (p.type) {
    case 'rect':
      return `<rect x="${num(p.x)}" y="${num(p.y)}" width="${num(p.w)}" height="${num(p.h)}" fill="${p.fill}" shape-rendering="crispEdges"/>`;
    case 'line':
      return `<line x1="${num(p.x1)}" y1="${num(p.y1)}" x2="${num(p.x2)}" y2="${num(p.y2)}" stroke="${p.stroke}" stroke-width="${p.width}"${p.dash ? ` stroke-dasharray="${p.dash[0]} ${p.dash[1]}"` : ''}/>`;
    case 'polyline':
      return `<polyline points="${p.points.map(([x, y]) => `${num(x)},${num(y)}`).join(' ')}" fill="none" stroke="${p.stroke}" stroke-width="${p.width}" stroke-linejoin="round" stroke-linecap="round"/>`;
    case 'circle':
      return `<circle cx="${num(p.cx)}" cy="${num(p.cy)}" r="${num(p.r)}" fill="${p.fill}"/>`;
  }
  const size = 10 * p.scale;
  const baseline = CAP_HEIGHT * p.scale;
  if (p.rotated) {
    return `<text transform="translate(${num(p.x)} ${num(p.y)}) rotate(-90)" y="${num(baseline / 2)}" text-anchor="middle" font-size="${size}" fill="${p.fill}">${esc(p.text)}</text>`;
  }
  return `<text x="${num(p.x)}" y="${num(p.y + baseline)}" text-anchor="${p.anchor}" font-size="${size}" fill="${p.fill}">${esc(p.text)}</text>`;
}

/**
 * Render a chart as a PNG: the SVG rasterised by resvg with the system's fonts
 * (text needs one of FONT_FAMILY's fonts installed; the bars and axes do not).
 */
export function renderChartPng(spec: ChartSpec, options: ChartRenderOptions = {}): Buffer {
  const svg = renderChartSvg(spec, options);
  return new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans Mono' } }).render().asPng();
}
