import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatTick,
  layoutChart,
  niceAxis,
  niceStep,
  PALETTE,
  renderChartPng,
  renderChartSvg,
  type BarChartSpec,
  type LineChartSpec,
  type Primitive,
} from '../../../main/imaging/chart.js';
import { PNG } from 'pngjs';

const bars: BarChartSpec = {
  kind: 'bar',
  title: 'Usable videos',
  xLabel: 'Block',
  yLabel: 'Videos',
  categories: ['B1', 'B2', 'B3'],
  series: [
    { name: 'Before', values: [10, 20, 30] },
    { name: 'After', values: [15, null, 40], color: '#00aa00' },
  ],
  showValues: true,
};

const line: LineChartSpec = {
  kind: 'line',
  title: 'p(OOF)',
  series: [{ name: 'well 7', x: [1, 2, 3, 4, 5], y: [0.1, 0.2, null, 0.8, 0.4], markers: true }],
  yMin: 0,
  yMax: 1,
  referenceLines: [{ y: 0.5, label: 'threshold' }],
};

const rects = (ps: Primitive[], fill: string) => ps.filter((p): p is Extract<Primitive, { type: 'rect' }> => p.type === 'rect' && p.fill === fill);

describe('axis ticks', () => {
  it('chooses 1/2/5 steps and round domains', () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(1, 5)).toBe(0.2);
    expect(niceStep(73, 8)).toBe(10);
    expect(niceAxis(0, 97, 5)).toEqual({ lo: 0, hi: 100, step: 20, ticks: [0, 20, 40, 60, 80, 100] });
    const a = niceAxis(0, 1, 5, 0, 1);
    expect(a.ticks.map((t) => formatTick(t, a.step))).toEqual(['0.0', '0.2', '0.4', '0.6', '0.8', '1.0']);
    expect(niceAxis(5, 5, 4).lo).toBeLessThan(5);
    expect(formatTick(-0.00000001, 0.5)).toBe('0.0');
  });
});

describe('layoutChart: bars', () => {
  const d = layoutChart(bars);
  it('draws one bar per finite value, in the series colours, heights proportional to values', () => {
    // The first rect of each colour is its legend swatch.
    const before = rects(d.primitives, PALETTE[0]!).slice(1);
    const after = rects(d.primitives, '#00aa00').slice(1);
    expect(before).toHaveLength(3);
    expect(after).toHaveLength(2); // the null value leaves a gap
    const h = before.map((r) => r.h);
    expect(h[1]! / h[0]!).toBeCloseTo(2, 1);
    expect(h[2]! / h[0]!).toBeCloseTo(3, 1);
    // all bars stand on the same baseline
    expect(new Set([...before, ...after].map((r) => r.y + r.h)).size).toBe(1);
  });
  it('labels categories, values, axes and the legend', () => {
    const texts = d.primitives.flatMap((p) => (p.type === 'text' ? [p.text] : []));
    for (const t of ['Usable videos', 'Block', 'Videos', 'B1', 'B2', 'B3', 'Before', 'After', '10', '40', '0']) expect(texts).toContain(t);
    expect(d.primitives.some((p) => p.type === 'text' && p.rotated && p.text === 'Videos')).toBe(true);
  });
});

describe('layoutChart: lines', () => {
  const d = layoutChart(line);
  it('breaks the line at missing values and marks every finite point', () => {
    const polys = d.primitives.filter((p) => p.type === 'polyline');
    expect(polys.map((p) => (p.type === 'polyline' ? p.points.length : 0))).toEqual([2, 2]);
    expect(d.primitives.filter((p) => p.type === 'circle')).toHaveLength(4);
  });
  it('draws the dashed reference line at y = 0.5 halfway up the [0, 1] axis', () => {
    const ref = d.primitives.find((p) => p.type === 'line');
    expect(ref && ref.type === 'line' && ref.dash).toBeTruthy();
    const ticks = d.primitives.filter((p): p is Extract<Primitive, { type: 'text' }> => p.type === 'text' && p.anchor === 'end' && /^[01]\.0$/.test(p.text));
    expect(ticks).toHaveLength(2);
    if (ref?.type !== 'line') throw new Error('no reference line');
    const [y1, y0] = ticks.map((t) => t.y);
    expect(Math.abs(ref.y1 - ((y0! + y1!) / 2 + 7))).toBeLessThan(2); // text y is the top of a 14-px-high label
  });
});

describe('renderChartPng', () => {
  it('renders a decodable RGB PNG of the requested size with bars in their colours', () => {
    const png = PNG.sync.read(renderChartPng(bars, { width: 400, height: 300 }));
    expect([png.width, png.height]).toEqual([400, 300]);
    const px = (x: number, y: number) => Array.from(png.data.subarray(4 * (y * 400 + x), 4 * (y * 400 + x) + 3));
    expect(px(0, 0)).toEqual([255, 255, 255]);
    const d = layoutChart(bars, { width: 400, height: 300 });
    const bar = rects(d.primitives, '#00aa00').find((r) => r.h > 20)!;
    expect(px(Math.round(bar.x + bar.w / 2), Math.round(bar.y + bar.h / 2))).toEqual([0, 170, 0]);
  });

  // resvg draws text with the system's fonts; a machine without DejaVu or Liberation Mono gets bars without labels.
  const fontDirs = ['/usr/share/fonts/truetype/dejavu', '/usr/share/fonts/truetype/liberation'];
  const hasFont = fontDirs.some((d) => existsSync(d));
  if (!hasFont) console.warn(`skipping the PNG label check: no monospace font in ${fontDirs.join(' or ')} (apt-get install fonts-dejavu-core)`);
  it.skipIf(!hasFont)('draws the labels of the SVG into the PNG', () => {
    const png = PNG.sync.read(renderChartPng(bars, { width: 400, height: 300 }));
    const d = layoutChart(bars, { width: 400, height: 300 });
    const title = d.primitives.find((p): p is Extract<Primitive, { type: 'text' }> => p.type === 'text' && p.text === 'Usable videos')!;
    let ink = 0;
    for (let y = title.y; y < title.y + 21; y++) {
      for (let x = 0; x < 400; x++) if (png.data[4 * (y * 400 + x)]! < 128) ink++;
    }
    expect(ink).toBeGreaterThan(50);
  });
});

describe('renderChartSvg', () => {
  it('writes a standalone SVG with the same primitives and escaped text', () => {
    const svg = renderChartSvg({ ...bars, title: 'A < B & "C"' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="720" height="420"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('A &lt; B &amp; &quot;C&quot;');
    expect(svg).not.toContain('A < B');
    expect((svg.match(/fill="#00aa00"/g) ?? []).length).toBe(3); // two bars + legend swatch
    const lineSvg = renderChartSvg(line);
    expect((lineSvg.match(/<polyline /g) ?? []).length).toBe(2);
    expect(lineSvg).toContain('stroke-dasharray');
    expect(lineSvg).not.toContain('rotate(-90)'); // no y label given
    expect(renderChartSvg(bars)).toContain('rotate(-90)');
  });
});

describe('validation', () => {
  it('rejects inconsistent or empty chart descriptions with a clear error', () => {
    expect(() => layoutChart({ ...bars, series: [] })).toThrow(/at least one series/);
    expect(() => layoutChart({ ...bars, series: [{ name: 'x', values: [1, 2] }] })).toThrow(/2 values for 3 categories/);
    expect(() => layoutChart({ ...line, series: [{ name: 'x', x: [1, 2], y: [1] }] })).toThrow(/2 x values but 1 y/);
    expect(() => layoutChart({ ...line, series: [{ name: 'x', x: [1, NaN], y: [1, 2] }] })).toThrow(/x\[1\] is NaN/);
    expect(() => layoutChart({ ...bars, series: [{ name: 'x', values: [1, 2, 3], color: 'red' }] })).toThrow(/#rrggbb/);
    expect(() => layoutChart({ ...bars, series: [{ name: 'x', values: [null, null, null] }] })).toThrow(/no finite values/);
    expect(() => layoutChart(bars, { width: 100 })).toThrow(/width must be an integer in \[160, 4096\]/);
    expect(() => layoutChart({ ...line, yMin: 1, yMax: 0 })).toThrow(/yMax/);
  });
});
