/**
 * Bar-chart description shared by the report's SVG (inline in report.html) and
 * PNG (plots/*.png) renderings, with the axis rules both use. Pure module.
 */

export interface BarSeries {
  name: string;
  /** `#rrggbb`. */
  color: string;
  values: number[];
}

export interface BarChartSpec {
  /** File stem under plots/. */
  id: string;
  title: string;
  yLabel: string;
  categories: string[];
  series: BarSeries[];
  /** Minimum y-axis maximum (e.g. 0.05 for OOF fractions); default: data maximum. */
  yMax?: number;
  /** Values are fractions shown as percentages. */
  percent?: boolean;
}

/** Smallest 1, 2, 2.5 or 5 × 10^k at or above `max` (1 for empty data). */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/** Top of the y axis: a round number above every value and above `yMax`. */
export function axisTop(spec: BarChartSpec): number {
  const dataMax = Math.max(0, ...spec.series.flatMap((s) => s.values));
  return niceMax(Math.max(dataMax, spec.yMax ?? 0));
}

/** Axis and bar label: percentages with one decimal, other numbers with at most two (7.5, not 7.50). */
export function formatValue(v: number, percent: boolean | undefined): string {
  if (percent) return `${(100 * v).toFixed(1)}%`;
  return String(Number(v.toFixed(2)));
}
