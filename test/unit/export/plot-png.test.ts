import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { axisTop, formatValue, niceMax } from '../../../main/export/chart-spec.js';
import { barChartPng, parseHexColor, Raster } from '../../../main/export/plot-png.js';

describe('chart axis rules', () => {
  it('rounds the axis up to 1, 2, 2.5 or 5 × 10^k', () => {
    expect([0, 0.04, 0.081, 3, 7, 174, 250].map(niceMax)).toEqual([1, 0.05, 0.1, 5, 10, 200, 250]);
    expect(axisTop({ id: 'x', title: '', yLabel: '', categories: ['a'], series: [{ name: 's', color: '#000000', values: [0.01] }], yMax: 0.05 })).toBe(0.05);
  });
  it('formats labels', () => {
    expect(formatValue(0.0812, true)).toBe('8.1%');
    expect(formatValue(12, false)).toBe('12');
    expect(formatValue(1.234, false)).toBe('1.23');
    expect(formatValue(7.5, false)).toBe('7.5');
  });
});

describe('barChartPng', () => {
  it('paints bars in their colour on a white PNG', () => {
    const png = PNG.sync.read(
      barChartPng({ id: 'x', title: 'T', yLabel: 'n', categories: ['B1'], series: [{ name: 's', color: '#1b9e77', values: [10] }] }, 200, 160),
    );
    expect([png.width, png.height]).toEqual([200, 160]);
    const at = (x: number, y: number) => [...png.data.subarray(4 * (y * 200 + x), 4 * (y * 200 + x) + 3)];
    expect(at(2, 150)).toEqual([255, 255, 255]);
    // One category spanning the plot: its bar covers the centre, just above the x axis (y = 160 - 60 - 2).
    expect(at(72 + Math.round((200 - 72 - 16) / 2), 98)).toEqual([0x1b, 0x9e, 0x77]);
  });
  it('text is drawn in upper case with a 6-pixel advance', () => {
    expect(Raster.textWidth('abc', 1)).toBe(17);
    const r = new Raster(20, 10);
    r.text(0, 0, 'i', [0, 0, 0], 1);
    // 'I' glyph: top row 01110 → pixels 1..3 black.
    expect([0, 1, 2, 3, 4].map((x) => r.data[4 * x])).toEqual([255, 0, 0, 0, 255]);
  });
  it('rejects colours it cannot paint', () => {
    expect(() => parseHexColor('green')).toThrow(/#rrggbb/);
  });
});
