/**
 * Ingest options as the CLI (and the station) receive them: `--layout`,
 * `--pattern` and `--max-pixels` validated into IngestOptions, with messages
 * naming the flag.
 */
import { compilePattern, isLayoutName, LAYOUT_NAMES, type LayoutName } from './layouts.js';

/** Validates a layout name and pattern; throws an Error that says what is accepted. */
export function parseLayoutChoice(
  layout: string | undefined,
  pattern: string | undefined,
  channel?: string,
): { layout: LayoutName | 'auto'; pattern?: string; channel?: string } {
  if (channel !== undefined) {
    if (!channel.trim()) throw new Error('--channel needs a channel index or name, e.g. --channel 0');
    return { ...parseLayoutChoice(layout, pattern), channel: channel.trim() };
  }
  if (pattern !== undefined) {
    if (layout !== undefined && layout !== 'pattern') {
      throw new Error(`--pattern goes with --layout pattern (or no --layout), not --layout ${layout}`);
    }
    compilePattern(pattern);
    return { layout: 'pattern', pattern };
  }
  if (layout === undefined || layout === 'auto') return { layout: 'auto' };
  if (!isLayoutName(layout)) {
    throw new Error(`--layout must be one of auto, ${LAYOUT_NAMES.join(', ')}; got "${layout}"`);
  }
  if (layout === 'pattern') throw new Error('--layout pattern needs --pattern, e.g. --pattern "B{block}/W{well}/frame_{t}.tif"');
  return { layout };
}

/**
 * Largest frame ingested by default (pixels): 4096 × 4096. Nanowell crops are
 * ~300², full camera frames up to ~2048²; a frame above this is refused at
 * ingest rather than costing gigabytes in every decode.
 */
export const DEFAULT_MAX_PIXELS = 4096 * 4096;

/**
 * Parses `--max-pixels`: a pixel count (`16777216`) or width×height
 * (`4096x4096`, `4096×4096`); undefined gives {@link DEFAULT_MAX_PIXELS}.
 */
export function parseMaxPixels(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_PIXELS;
  const m = /^\s*(\d+)\s*(?:[x×*]\s*(\d+)\s*)?$/i.exec(value);
  const n = m ? Number(m[1]) * (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new Error(`--max-pixels must be a pixel count or WIDTHxHEIGHT (e.g. 4096x4096), got "${value}"`);
  }
  return n;
}
