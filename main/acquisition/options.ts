/**
 * Layout options as the CLI (and the station) receive them: `--layout` and
 * `--pattern` validated into IngestOptions, with messages naming the flag.
 */
import { compilePattern, isLayoutName, LAYOUT_NAMES, type LayoutName } from './layouts.js';

/** Validates a layout name and pattern; throws an Error that says what is accepted. */
export function parseLayoutChoice(layout: string | undefined, pattern: string | undefined): {
  layout: LayoutName | 'auto';
  pattern?: string;
} {
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
