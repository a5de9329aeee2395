import { describe, expect, it } from 'vitest';
import type { ExportSummary } from '../../../main/export/export.js';
import { renderChartSvg } from '../../../main/imaging/chart.js';
import { percentAxis, reportCharts, reportHtml } from '../../../main/export/report.js';
import { emptyBlockStats } from '../../../main/export/yield.js';

function summary(): ExportSummary {
  const block = (name: string, over: Partial<ReturnType<typeof emptyBlockStats>>) => ({
    ...emptyBlockStats(name), ...over, oofFraction: 0, usableFractionBefore: 0, usableFractionAfter: 0,
  });
  const b1 = { ...block('B1', { wells: 10, evaluated: 10, usableBefore: 6, usableAfter: 9, frames: 730, classified: 730, oof: 40, accepted: 30, rejected: 5, undecided: 5, cleared: 1 }), oofFraction: 40 / 730 };
  const b2 = { ...block('B2', { wells: 5, evaluated: 5, usableBefore: 5, usableAfter: 5, frames: 365, classified: 365 }) };
  return {
    version: 1, exportId: 3, appVersion: '0.1.0', startedAt: 's', exportedAt: 'e', destination: '/d', workspace: '/w', merged: false,
    policy: { include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false },
    runs: [], physical: { pixelSizeUm: 0.325, timeIncrementS: 300, source: 'default' },
    usability: { maxOofFraction: 0.05, maxConsecutiveOof: 2 },
    counts: { frames: 1095, originals: 1050, restored: 30, excluded: 15, excludedByReason: { 'oof-rejected': 5, 'oof-undecided': 10, 'in-focus-rejected': 0, unclassified: 0, unreadable: 0 }, wells: 15, wellsExported: 15, omeStacks: 15, trainingPairs: 0, manifestRows: 1080 },
    unreadable: [],
    yield: { blocks: [b1, b2], total: { ...block('total', { wells: 15, evaluated: 15, usableBefore: 11, usableAfter: 14, accepted: 30, rejected: 5, undecided: 5, cleared: 1 }) } },
    manifestSha256: 'abc',
  };
}

describe('report', () => {
  it('plots OOF fraction per block, usable videos before/after (with total), decisions', () => {
    const charts = reportCharts(summary());
    expect(charts.map((c) => c.id)).toEqual(['oof-fraction', 'usable-videos', 'decisions']);
    expect(charts[0]!.spec.series[0]!.values).toEqual([5.5, 0]);
    expect(charts[1]!.spec.categories).toEqual(['B1', 'B2', 'total']);
    expect(charts[1]!.spec.series.map((s) => s.values)).toEqual([[6, 5, 11], [9, 5, 14]]);
    expect(charts[2]!.spec.series[0]!.values).toEqual([30, 5, 5, 1]);
  });
  it('plots the OOF fraction on a percent axis from 0 (1 % is a tenth of the axis, not a full bar)', () => {
    const s = summary();
    s.yield.blocks[0]!.oofFraction = 0.01;
    s.yield.blocks[1]!.oofFraction = 0.004;
    const oof = reportCharts(s)[0]!.spec;
    expect(oof.series[0]!.values).toEqual([1, 0.4]);
    expect([oof.yMin, oof.yMax]).toEqual([0, 10]);
    const svg = renderChartSvg(oof);
    expect(svg).toMatch(/>10</);
    expect(percentAxis([37.2], 5)).toEqual({ yMin: 0, yMax: 40 });
    expect(percentAxis([100], 5)).toEqual({ yMin: 0, yMax: 100 });
  });
  it('names the yield after review (the export basis)', () => {
    const usable = reportCharts(summary())[1]!.spec;
    expect(usable.title).toMatch(/after review/);
    expect(usable.series.map((x) => x.name)).toEqual(['before', 'after review']);
  });
  it('the page loads nothing from outside (CSP default-src none, no URLs)', () => {
    const s = summary();
    const html = reportHtml(s, reportCharts(s).map((c) => ({ ...c, svg: renderChartSvg(c.spec) })));
    expect(html).toContain(`content="default-src 'none'`);
    const withoutSvgNamespace = html.replaceAll('xmlns="http://www.w3.org/2000/svg"', '');
    expect(withoutSvgNamespace).not.toMatch(/https?:\/\//);
    expect(html).toContain('curated export #3');
  });
});
