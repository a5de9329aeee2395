/**
 * Layout auto-detection from a sample of an acquisition tree: the name
 * layouts (TIMING, Micro-Manager, Nikon NIS-Elements) by path, stacks by content (multi-page TIFF).
 */
import { join } from 'node:path';
import { probeTiff } from '../imaging/tiff-read.js';
import { isTransientName, LAYOUT_EXPECTS, microManagerLayout, nikonLayout, stackLayout, timingLayout, type Layout } from './layouts.js';

export type Detection =
  | { layout: Layout; matched: number; sampled: number }
  | { layout: null; sampled: number; message: string };

/** How many files are sampled by path, and how many probed for stacks. */
const SAMPLE_FILES = 5000;
const PROBE_FILES = 24;

/**
 * Chooses the layout matching most of the sampled files; with no name match,
 * a tree of multi-page TIFFs is a stack layout. When nothing matches, the
 * message lists what was expected and some of the files found.
 */
export async function detectLayout(root: string, relPaths: readonly string[]): Promise<Detection> {
  const sample = relPaths.filter((p) => !isTransientName(p.slice(p.lastIndexOf('/') + 1))).slice(0, SAMPLE_FILES);
  const candidates = [timingLayout(), microManagerLayout(), nikonLayout(true)];
  let best: { layout: Layout; matched: number } | null = null;
  for (const layout of candidates) {
    let matched = 0;
    for (const p of sample) if (layout.match(p)) matched++;
    if (matched > 0 && (!best || matched > best.matched)) best = { layout, matched };
  }
  if (best) return { ...best, sampled: sample.length };

  let stacks = 0;
  let singlePages = 0;
  for (const p of sample.slice(0, PROBE_FILES)) {
    try {
      const probe = await probeTiff(join(root, p));
      if (probe.complete && probe.pages > 1) stacks++;
      else if (probe.complete) singlePages++;
    } catch {
      // Unreadable files say nothing about the layout.
    }
  }
  if (stacks > 0) return { layout: stackLayout(), matched: stacks, sampled: sample.length };

  const examples = sample.slice(0, 5).map((p) => `    ${p}`);
  const found =
    sample.length === 0
      ? 'no files found yet'
      : `${sample.length} file(s) sampled${singlePages ? `, ${singlePages} single-page TIFF(s) with unrecognised names` : ''}, e.g.:\n${examples.join('\n')}`;
  const message =
    `no acquisition layout recognised in ${root}: ${found}\n` +
    'Expected one of:\n' +
    `  - ${LAYOUT_EXPECTS.timing}\n` +
    `  - ${LAYOUT_EXPECTS.micromanager}\n` +
    `  - ${LAYOUT_EXPECTS.nikon}\n` +
    `  - ${LAYOUT_EXPECTS.stack}\n` +
    `  - ${LAYOUT_EXPECTS.pattern}\n` +
    'Choose one with --layout timing|micromanager|nikon|stack, or describe the names with --pattern.';
  return { layout: null, sampled: sample.length, message };
}
