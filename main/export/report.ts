/**
 * report.html: a self-contained page (no external resource; a CSP forbids any)
 * with the export's counts and three plots — OOF fraction per block (percent
 * axis from 0), usable videos before restoration / after review per block (as PostFocus Fig. 8), review
 * decisions — drawn as inline SVG, and the same plots as plots/<id>.png (and
 * plots/<id>.svg) next to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderChartPng, renderChartSvg, type BarChartSpec } from '../imaging/chart.js';
import type { ExportSummary } from './export.js';
import { escapeXml } from './ome-xml.js';
import { POLICY_HELP } from '../common/export-policy.js';

/** A chart of the report: its file stem under plots/ and its main/imaging/chart.ts description. */
export interface ReportChart {
  id: string;
  spec: BarChartSpec;
}

/** The report's three plots, from the summary. */
export function reportCharts(summary: ExportSummary): ReportChart[] {
  const blocks = summary.yield.blocks;
  const cats = blocks.map((b) => b.block);
  const t = summary.yield.total;
  const percent = (v: number): number => Math.round(1000 * v) / 10;
  const oofPercents = blocks.map((b) => percent(b.oofFraction));
  return [
    {
      id: 'oof-fraction',
      spec: {
        kind: 'bar',
        title: 'Out-of-focus fraction per block',
        yLabel: '% of classified frames',
        categories: cats,
        series: [{ name: 'OOF', color: '#d95f02', values: oofPercents }],
        // A percent axis from 0, never auto-fitted to the largest bar (1% must not look like a full bar).
        ...percentAxis(oofPercents, 100 * summary.usability.maxOofFraction),
        showValues: true,
      },
    },
    {
      id: 'usable-videos',
      spec: {
        kind: 'bar',
        title: 'Usable videos before restoration / after review',
        yLabel: 'usable nanowell videos',
        categories: [...cats, 'total'],
        series: [
          { name: 'before', color: '#7570b3', values: [...blocks.map((b) => b.usableBefore), t.usableBefore] },
          { name: 'after review', color: '#1b9e77', values: [...blocks.map((b) => b.usableAfter), t.usableAfter] },
        ],
        showValues: true,
      },
    },
    {
      id: 'decisions',
      spec: {
        kind: 'bar',
        title: 'Review of out-of-focus frames',
        yLabel: 'frames',
        categories: ['accepted', 'rejected', 'undecided', 'of which cleared'],
        series: [{ name: 'frames', color: '#4c78a8', values: [t.accepted, t.rejected, t.undecided, t.cleared] }],
        showValues: true,
      },
    },
  ];
}

/**
 * y range of a percent chart: 0 to the next multiple of 10 above the largest
 * value and twice the usability threshold (so the threshold's scale stays readable).
 */
export function percentAxis(values: readonly number[], thresholdPercent: number): { yMin: number; yMax: number } {
  const top = Math.max(2 * thresholdPercent, ...values.filter(Number.isFinite), 1);
  return { yMin: 0, yMax: Math.min(100, Math.ceil(top / 10) * 10) };
}

function table(headers: string[], rows: (string | number)[][]): string {
  const th = headers.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The report page for a summary, with the plots' SVG inlined. */
export function reportHtml(summary: ExportSummary, charts: (ReportChart & { svg: string })[]): string {
  const c = summary.counts;
  const pct = (v: number): string => `${(100 * v).toFixed(1)}%`;
  const blockRows = [...summary.yield.blocks, summary.yield.total].map((b) => [
    b.block, b.wells, b.frames, pct(b.oofFraction), b.accepted, b.rejected, b.undecided, b.evaluated, b.usableBefore, b.usableAfter,
    b.exportedOriginals, b.exportedRestored, b.excluded,
  ]);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>PostFocus export ${summary.exportId}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0;font-size:13px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:12px}.plots figure{margin:0}pre{background:#f7f7f7;padding:8px;font-size:12px;white-space:pre-wrap}
</style></head><body>
<h1>PostFocus Station — curated export #${summary.exportId}</h1>
<p>Exported ${escapeXml(summary.exportedAt)} by PostFocus Station ${escapeXml(summary.appVersion)}, policy
<b>${escapeXml(summary.policy.include)}</b>, layout ${escapeXml(summary.policy.layout)}${summary.merged ? ', merged into an existing folder' : ''}.
Pixel size ${summary.physical.pixelSizeUm} µm, frame interval ${summary.physical.timeIncrementS} s (${escapeXml(summary.physical.source)}).
A video is usable with at most ${pct(summary.usability.maxOofFraction)} OOF frames and fewer than ${summary.usability.maxConsecutiveOof} in a row.</p>
<h2>Counts</h2>
${table(
  ['frames', 'exported originals', 'exported restorations', 'excluded', 'nanowells', 'with exported frames', 'OME stacks', 'training pairs', 'manifest rows'],
  [[c.frames, c.originals, c.restored, c.excluded, c.wells, c.wellsExported, c.omeStacks, c.trainingPairs, c.manifestRows]],
)}
${table(['excluded because', 'frames'], Object.entries(c.excludedByReason).map(([k, v]) => [k, v]))}
${summary.unreadable.length ? `<h2>Frames whose file could not be read</h2>\n${table(['file', 'page', 'why'], summary.unreadable.map((u) => [u.path, u.page, u.reason]))}` : ''}
<h2>Plots</h2>
<div class="plots">${charts.map((ch) => `<figure id="${ch.id}">${ch.svg}</figure>`).join('')}</div>
<h2>Per block</h2>
${table(['block', 'wells', 'frames', 'OOF', 'accepted', 'rejected', 'undecided', 'evaluated videos', 'usable before', 'usable after review', 'originals', 'restored', 'excluded'], blockRows)}
<h2>Policy</h2>
<pre>${escapeXml(POLICY_HELP)}</pre>
<p>Files: manifest.csv / manifest.json (one row per exported frame, with checksums), summary.json,
plots/*.png, ome/*.ome.tif (excluded time points are blank pages, listed in the OME annotation <code>excludedT</code>).
manifest.json sha256: <code>${escapeXml(summary.manifestSha256)}</code></p>
</body></html>
`;
}

/** Writes report.html, plots/<id>.png and plots/<id>.svg into the export folder. */
export async function writeReport(dir: string, summary: ExportSummary): Promise<void> {
  const charts = reportCharts(summary).map((c) => ({ ...c, svg: renderChartSvg(c.spec) }));
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const { id, spec, svg } of charts) {
    writeFileSync(join(dir, 'plots', `${id}.png`), renderChartPng(spec));
    writeFileSync(join(dir, 'plots', `${id}.svg`), svg);
  }
  writeFileSync(join(dir, 'report.html'), reportHtml(summary, charts));
}
