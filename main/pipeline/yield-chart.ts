/**
 * The usable-video yield chart of `postfocus eval --chart` (PostFocus Fig. 8
 * style): per block, videos usable by the true OOF flags, by the classifier's
 * flags before restoration, and after restoration.
 */
import { writeFileSync } from 'node:fs';
import { renderChartPng, type BarChartSpec } from '../imaging/chart.js';
import type { EvaluationReport } from './evaluation.js';

/** Chart description of the yield per block (plus an "all" group). */
export function yieldChartSpec(r: EvaluationReport): BarChartSpec {
  const blocks = [...r.yield.blocks, { block: 'all', videos: r.yield.videos, usable_truth: r.yield.usable_truth, usable_before: r.yield.usable_before, usable_after: r.yield.usable_after }];
  const pct = (n: number, of: number) => (of > 0 ? (100 * n) / of : null);
  return {
    kind: 'bar',
    title: 'Usable videos before restoration / after model re-check',
    xLabel: 'block',
    yLabel: '% of videos usable',
    categories: blocks.map((b) => (b.block === 'all' ? 'all' : `B${b.block}`)),
    series: [
      { name: 'before (classifier flags)', values: blocks.map((b) => pct(b.usable_before, b.videos)) },
      { name: 'after model re-check', values: blocks.map((b) => pct(b.usable_after, b.videos)) },
      { name: 'true flags (no restoration)', values: blocks.map((b) => pct(b.usable_truth, b.videos)) },
    ],
    yMin: 0,
    yMax: 100,
    showValues: true,
  };
}

/** Writes the yield chart as a PNG. */
export async function writeYieldChart(path: string, r: EvaluationReport): Promise<void> {
  writeFileSync(path, renderChartPng(yieldChartSpec(r), { width: 900, height: 480 }));
}
