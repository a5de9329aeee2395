/**
 * report.html: a self-contained page (no external resource; a CSP forbids any)
 * with the export's counts and three plots — OOF fraction per block, usable
 * videos before/after restoration per block (as PostFocus Fig. 8), review
 * decisions — drawn as inline SVG, and the same plots as plots/<id>.png (and
 * plots/<id>.svg) next to it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { axisTop, formatValue, type BarChartSpec } from './chart-spec.js';
import type { ExportSummary } from './export.js';
import { escapeXml } from './ome-xml.js';
import { barChartPng } from './plot-png.js';
import { POLICY_HELP } from './policy.js';

export type { BarChartSpec } from './chart-spec.js';

/** The report's three plots, from the summary. */
export function reportCharts(summary: ExportSummary): BarChartSpec[] {
  const blocks = summary.yield.blocks;
  const cats = blocks.map((b) => b.block);
  const t = summary.yield.total;
  return [
    {
      id: 'oof-fraction',
      title: 'Out-of-focus fraction per block',
      yLabel: 'OOF frames / classified frames',
      categories: cats,
      series: [{ name: 'OOF fraction', color: '#d95f02', values: blocks.map((b) => b.oofFraction) }],
      yMax: Math.max(0.05, ...blocks.map((b) => b.oofFraction)),
      percent: true,
    },
    {
      id: 'usable-videos',
      title: 'Usable videos before / after restoration',
      yLabel: 'usable nanowell videos',
      categories: [...cats, 'total'],
      series: [
        { name: 'before', color: '#7570b3', values: [...blocks.map((b) => b.usableBefore), t.usableBefore] },
        { name: 'after', color: '#1b9e77', values: [...blocks.map((b) => b.usableAfter), t.usableAfter] },
      ],
    },
    {
      id: 'decisions',
      title: 'Review of out-of-focus frames',
      yLabel: 'frames',
      categories: ['accepted', 'rejected', 'undecided', 'of which cleared'],
      series: [{ name: 'frames', color: '#4c78a8', values: [t.accepted, t.rejected, t.undecided, t.cleared] }],
    },
  ];
}

/** Grouped bar chart as a standalone SVG document (system fonts only). */
export function barChartSvg(spec: BarChartSpec, width = 640, height = 360): string {
  const m = { left: 64, right: 16, top: 40, bottom: 64 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const top = axisTop(spec);
  const y = (v: number): number => m.top + ph - (top > 0 ? (v / top) * ph : 0);
  const n = Math.max(1, spec.categories.length);
  const group = pw / n;
  const barW = Math.max(2, (group * 0.75) / Math.max(1, spec.series.length));
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="${escapeXml(spec.title)}">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(spec.title)}</text>`,
  );
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    const yy = y(v);
    parts.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`,
      `<text x="${m.left - 6}" y="${yy + 4}" text-anchor="end" fill="#444">${formatValue(v, spec.percent)}</text>`,
    );
  }
  spec.categories.forEach((cat, ci) => {
    const gx = m.left + ci * group + (group - barW * spec.series.length) / 2;
    spec.series.forEach((s, si) => {
      const v = s.values[ci] ?? 0;
      const x = gx + si * barW;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(m.top + ph - y(v)).toFixed(1)}" fill="${s.color}">` +
          `<title>${escapeXml(`${cat} ${s.name}: ${formatValue(v, spec.percent)}`)}</title></rect>`,
        `<text x="${(x + barW / 2).toFixed(1)}" y="${(y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="10" fill="#222">${formatValue(v, spec.percent)}</text>`,
      );
    });
    parts.push(
      `<text x="${(m.left + ci * group + group / 2).toFixed(1)}" y="${m.top + ph + 16}" text-anchor="middle">${escapeXml(cat)}</text>`,
    );
  });
  parts.push(
    `<line x1="${m.left}" x2="${m.left + pw}" y1="${m.top + ph}" y2="${m.top + ph}" stroke="#333"/>`,
    `<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#444">${escapeXml(spec.yLabel)}</text>`,
  );
  if (spec.series.length > 1) {
    spec.series.forEach((s, i) => {
      const lx = m.left + i * 110;
      const ly = height - 18;
      parts.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${s.color}"/>`, `<text x="${lx + 18}" y="${ly}">${escapeXml(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

function table(headers: string[], rows: (string | number)[][]): string {
  const th = headers.map((h) => `<th>${escapeXml(h)}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeXml(String(c))}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The report page for a summary, with the plots' SVG inlined. */
export function reportHtml(summary: ExportSummary, charts: { spec: BarChartSpec; svg: string }[]): string {
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
<h2>Plots</h2>
<div class="plots">${charts.map((ch) => `<figure id="${ch.spec.id}">${ch.svg}</figure>`).join('')}</div>
<h2>Per block</h2>
${table(['block', 'wells', 'frames', 'OOF', 'accepted', 'rejected', 'undecided', 'evaluated videos', 'usable before', 'usable after', 'originals', 'restored', 'excluded'], blockRows)}
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
  const charts = reportCharts(summary).map((spec) => ({ spec, svg: barChartSvg(spec) }));
  mkdirSync(join(dir, 'plots'), { recursive: true });
  for (const { spec, svg } of charts) {
    writeFileSync(join(dir, 'plots', `${spec.id}.png`), barChartPng(spec));
    writeFileSync(join(dir, 'plots', `${spec.id}.svg`), svg);
  }
  writeFileSync(join(dir, 'report.html'), reportHtml(summary, charts));
}
