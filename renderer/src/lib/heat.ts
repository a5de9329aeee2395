/**
 * Heat colour of a well's OOF fraction: green (none) → amber at the usability
 * threshold (5% by default) → red well above it. Hue interpolation in HSL
 * keeps the ramp readable on the dark theme.
 */
export function heatColour(fraction: number, threshold = 0.05): string {
  const f = Math.max(0, fraction);
  let hue: number;
  let light: number;
  if (f <= threshold) {
    const t = threshold > 0 ? f / threshold : 1;
    hue = 150 - t * 105; // 150 (green) → 45 (amber)
    light = 26 + t * 10;
  } else {
    const t = Math.min(1, (f - threshold) / Math.max(1e-6, 0.3 - threshold));
    hue = 45 - t * 42; // amber → red
    light = 36 + t * 6;
  }
  return `hsl(${hue.toFixed(0)} 62% ${light.toFixed(0)}%)`;
}
