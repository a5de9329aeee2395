/**
 * Acquisition layouts: how a file's path (relative to the acquisition root,
 * '/' separators) names the nanowell (block, well), the time point and the
 * channel of the frame it holds. Pure functions: no file-system access here.
 *
 * - timing:       `B<block>/images/crops_8bit_s/<well>CH0/<prefix>_t<k>.tif` (PostFocus/TIMING)
 * - micromanager: `[<position folder>/]img_channel000_position012_time000000034_z000.tif`
 * - nikon:        `[<folder>/]<prefix>xy01t01[z1][c1].tif` (NIS-Elements ND export; dimensions in any order)
 * - pattern:      a user pattern with fields {block} {well} {t} {channel}, e.g. `B{block}/W{well}/frame_{t}.tif`
 * - stack:        multi-page TIFF / OME-TIFF, one file per nanowell, page = time point
 *
 * Extensions never decide whether a file is a TIFF (its content does), so the
 * name layouts accept any single extension, or none.
 */

export type LayoutName = 'timing' | 'micromanager' | 'nikon' | 'pattern' | 'stack';

export const LAYOUT_NAMES: readonly LayoutName[] = ['timing', 'micromanager', 'nikon', 'pattern', 'stack'];

/** Where a file belongs. `t` is absent when the file's pages are the time points. */
export interface FrameLocation {
  block: string;
  well: string;
  channel: string;
  t?: number;
}

export interface Layout {
  name: LayoutName;
  /** The user pattern, for `pattern` layouts. */
  pattern: string | null;
  /** One line for messages: what file names this layout expects. */
  expects: string;
  /** Whether one file holds many time points (pages), so a known file may still grow. */
  stacks: boolean;
  /** Locates a file from its relative path, or null when it is not a frame of this layout. */
  match(relPath: string): FrameLocation | null;
}

/** One frame inside a file: page index → (t, channel). */
export interface PageFrame {
  page: number;
  t: number;
  channel: string;
}

export const LAYOUT_EXPECTS: Record<LayoutName, string> = {
  timing: 'TIMING: B<block>/images/crops_8bit_s/<well>CH0/<prefix>_t<k>.tif (e.g. B1/images/crops_8bit_s/imgNo001CH0/imgNo001CH0_t12.tif)',
  micromanager:
    'Micro-Manager: <position folder>/img_channel000_position012_time000000034_z000.tif (or img_000000034_<channel>_000.tif)',
  nikon: 'Nikon NIS-Elements ND export: <prefix>xy<position>t<time>[z<plane>][c<channel>].tif (e.g. 20180101ef002xy01t01.tif)',
  pattern: 'a user pattern with fields {block} {well} {t} {channel}, e.g. --pattern "B{block}/W{well}/frame_{t}.tif"',
  stack: 'multi-page TIFF / OME-TIFF stacks, one file per nanowell, one page per time point',
};

/** Editor/transfer leftovers and hidden files: never frames, never counted as ignored. */
export function isTransientName(name: string): boolean {
  return (
    name.startsWith('.') ||
    name.endsWith('~') ||
    /\.(part|partial|tmp|temp|crdownload|download|swp)$/i.test(name) ||
    /^~\$/.test(name) ||
    name === 'Thumbs.db' ||
    name === 'desktop.ini'
  );
}

function basename(relPath: string): string {
  const i = relPath.lastIndexOf('/');
  return i < 0 ? relPath : relPath.slice(i + 1);
}

/** Strips leading zeros but keeps "0": well and channel numbers compare as numbers. */
function trimNumber(digits: string): string {
  return String(Number(digits));
}

const TIMING_RE = /(?:^|\/)B([^/]+)\/images\/crops_8bit_s\/([^/]*?)CH0\/[^/]*_t(\d+)(?:\.[A-Za-z0-9]{1,5})?$/;

/** TIMING layout (PostFocus code): phase-contrast channel CH0 only; other channels are not frames. */
export function timingLayout(): Layout {
  return {
    name: 'timing',
    pattern: null,
    expects: LAYOUT_EXPECTS.timing,
    stacks: false,
    match(relPath) {
      const m = TIMING_RE.exec(relPath);
      if (!m) return null;
      const t = Number(m[3]);
      if (t < 1) return null;
      const well = m[2] || basename(relPath).replace(/_t\d+(\.[^.]*)?$/, '');
      return { block: m[1]!, well, channel: '0', t };
    },
  };
}

const MM_RE = /^img_channel(\d+)_position(\d+)_time(\d+)_z(\d+)(?:\.[A-Za-z0-9]{1,5})?$/;
const MM_LEGACY_RE = /^img_(\d{9})_(.+)_(\d{3})(?:\.[A-Za-z0-9]{1,5})?$/;

/**
 * Micro-Manager multi-file layout. block = the position folder (or "1" at the
 * root), well = position number (legacy names: the position folder), t = time + 1,
 * channel = channel index or name; z planes other than 0 get `.z<k>` appended.
 */
export function microManagerLayout(): Layout {
  return {
    name: 'micromanager',
    pattern: null,
    expects: LAYOUT_EXPECTS.micromanager,
    stacks: false,
    match(relPath) {
      const name = basename(relPath);
      const dirs = relPath.split('/').slice(0, -1);
      const folder = dirs.length > 0 ? dirs[dirs.length - 1]! : null;
      let m = MM_RE.exec(name);
      if (m) {
        const z = Number(m[4]);
        const channel = trimNumber(m[1]!) + (z === 0 ? '' : `.z${z}`);
        return { block: folder ?? '1', well: trimNumber(m[2]!), channel, t: Number(m[3]) + 1 };
      }
      m = MM_LEGACY_RE.exec(name);
      if (m) {
        const z = Number(m[3]);
        const channel = m[2]! + (z === 0 ? '' : `.z${z}`);
        return { block: folder ?? '1', well: folder ?? '0', channel, t: Number(m[1]) + 1 };
      }
      return null;
    },
  };
}

/** One dimension of a NIS-Elements file name at the end of what is left of it: xy (position), t, z, c, 1-based. */
const NIKON_DIMENSION_RE = /(xy|t|z|c)(\d+)$/;

/**
 * Nikon NIS-Elements "ND export": the file name is a prefix followed by one
 * 1-based index per dimension of the ND experiment (xy position, t time, z
 * plane, c channel), in the order chosen at export; a dimension of size one
 * is left out. A time index is required (the station's frames are time
 * points). block = the folder and prefix (one experiment), well = position
 * (1 without xy), channel = c (1 without c); z planes other than the first
 * get `.z<k>` appended, as in Micro-Manager. `detecting`: only names with a
 * second dimension beside t count (a bare `_t12` is TIMING's or anyone's).
 */
export function nikonLayout(detecting = false): Layout {
  return {
    name: 'nikon',
    pattern: null,
    expects: LAYOUT_EXPECTS.nikon,
    stacks: false,
    match(relPath) {
      let rest = basename(relPath).replace(/\.[A-Za-z0-9]{1,5}$/, '');
      const found = new Map<string, number>();
      for (let m = NIKON_DIMENSION_RE.exec(rest); m; m = NIKON_DIMENSION_RE.exec(rest)) {
        if (found.has(m[1]!)) break; // a repeated dimension belongs to the prefix
        found.set(m[1]!, Number(m[2]));
        rest = rest.slice(0, m.index);
      }
      const t = found.get('t');
      if (t === undefined || [...found.values()].some((v) => v < 1) || (detecting && found.size < 2)) return null;
      const dirs = relPath.split('/').slice(0, -1);
      const block = [...dirs, rest].filter(Boolean).join('/') || '1';
      const z = found.get('z') ?? 1;
      const channel = String(found.get('c') ?? 1) + (z === 1 ? '' : `.z${z}`);
      return { block, well: String(found.get('xy') ?? 1), channel, t };
    },
  };
}

/**
 * Compiles a user pattern into an anchored regular expression over the relative
 * path. {block} {well} {channel} match text within one folder/file name, {t}
 * matches digits (the time point as written, 1-based as in TIMING); `*` matches
 * within a name, `**` any number of folders, `?` one character. Without {t},
 * the pages of each file are its time points.
 */
export function compilePattern(pattern: string): { regex: RegExp; fields: string[] } {
  const source = pattern.replace(/\\/g, '/').replace(/^\.?\//, '');
  if (!source) throw new Error('the pattern is empty');
  if (!source.includes('{well}')) {
    throw new Error(`pattern "${pattern}" has no {well} field; fields: {block} {well} {t} {channel}`);
  }
  const fields: string[] = [];
  let re = '';
  let i = 0;
  while (i < source.length) {
    const rest = source.slice(i);
    const field = /^\{([a-z]+)\}/.exec(rest);
    if (field) {
      const name = field[1]!;
      if (!['block', 'well', 't', 'channel'].includes(name)) {
        throw new Error(`pattern "${pattern}" has unknown field {${name}}; fields: {block} {well} {t} {channel}`);
      }
      if (fields.includes(name)) throw new Error(`pattern "${pattern}" uses {${name}} twice`);
      fields.push(name);
      re += name === 't' ? '(\\d+)' : '([^/]+?)';
      i += field[0].length;
    } else if (rest.startsWith('**/')) {
      re += '(?:[^/]+/)*';
      i += 3;
    } else if (rest.startsWith('**')) {
      re += '.*';
      i += 2;
    } else if (rest[0] === '*') {
      re += '[^/]*';
      i += 1;
    } else if (rest[0] === '?') {
      re += '[^/]';
      i += 1;
    } else {
      re += rest[0]!.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      i += 1;
    }
  }
  return { regex: new RegExp(`^${re}$`), fields };
}

/** User pattern layout; see {@link compilePattern}. Missing {block} → "1", missing {channel} → "0". */
export function patternLayout(pattern: string): Layout {
  const { regex, fields } = compilePattern(pattern);
  const index = (name: string) => fields.indexOf(name) + 1;
  const hasT = fields.includes('t');
  return {
    name: 'pattern',
    pattern,
    expects: `pattern ${pattern}`,
    stacks: !hasT,
    match(relPath) {
      const m = regex.exec(relPath);
      if (!m) return null;
      const loc: FrameLocation = {
        block: index('block') ? m[index('block')]! : '1',
        well: m[index('well')]!,
        channel: index('channel') ? m[index('channel')]! : '0',
      };
      if (hasT) {
        loc.t = Number(m[index('t')]);
      }
      return loc;
    },
  };
}

/** Stack layout: every file is a nanowell's time series; block = parent folder or "1". */
export function stackLayout(): Layout {
  return {
    name: 'stack',
    pattern: null,
    expects: LAYOUT_EXPECTS.stack,
    stacks: true,
    match(relPath) {
      const parts = relPath.split('/');
      const name = parts[parts.length - 1]!;
      const well = name.replace(/(\.ome)?\.[A-Za-z0-9]{1,5}$/i, '');
      if (!well) return null;
      return { block: parts.length > 1 ? parts[parts.length - 2]! : '1', well, channel: '0' };
    },
  };
}

/**
 * Whether a frame's channel, as its layout names it (an index or a name, with
 * `.z<k>` for planes other than the first), is the one asked for: the same
 * name, or the same number ("000" is "0"), any plane.
 */
export function channelMatches(channel: string, wanted: string): boolean {
  const base = channel.replace(/\.z\d+$/, '');
  if (base === wanted) return true;
  return /^\d+$/.test(base) && /^\d+$/.test(wanted) && Number(base) === Number(wanted);
}

/**
 * The layout restricted to one channel (`--channel`: the transmitted-light
 * channel the focus models judge, in a multi-channel acquisition): a
 * single-frame file of another channel matches nothing (it is ignored); the
 * pages of a stack are filtered where its frames are listed (ingest).
 */
export function withChannel(layout: Layout, channel: string | undefined): Layout {
  if (channel === undefined) return layout;
  return {
    ...layout,
    match(relPath) {
      const loc = layout.match(relPath);
      return loc && (loc.t === undefined || channelMatches(loc.channel, channel)) ? loc : null;
    },
  };
}

/** The layout of a name (and pattern, for `pattern`). */
export function layoutFor(name: LayoutName, pattern?: string | null): Layout {
  switch (name) {
    case 'timing':
      return timingLayout();
    case 'micromanager':
      return microManagerLayout();
    case 'nikon':
      return nikonLayout();
    case 'stack':
      return stackLayout();
    case 'pattern':
      if (!pattern) throw new Error('the pattern layout needs a pattern, e.g. "B{block}/W{well}/frame_{t}.tif"');
      return patternLayout(pattern);
  }
}

export function isLayoutName(name: string): name is LayoutName {
  return (LAYOUT_NAMES as readonly string[]).includes(name);
}

/** OME-XML dimensions of the first image, as far as the page → (t, c, z) mapping needs them. */
export interface OmeDimensions {
  order: string;
  sizeZ: number;
  sizeC: number;
  sizeT: number;
}

/** Reads DimensionOrder and sizes from an OME-XML ImageDescription, or null when absent. */
export function parseOmeDimensions(description: string | undefined): OmeDimensions | null {
  if (!description || !description.includes('<OME')) return null;
  const pixels = /<(?:\w+:)?Pixels\b([^>]*)>/.exec(description);
  if (!pixels) return null;
  const attr = (name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(pixels[1]!)?.[1];
  const order = attr('DimensionOrder') ?? 'XYCZT';
  const size = (name: string) => Math.max(1, Number(attr(name) ?? '1') || 1);
  if (!/^XY[ZCT]{3}$/.test(order)) return null;
  return { order, sizeZ: size('SizeZ'), sizeC: size('SizeC'), sizeT: size('SizeT') };
}

/**
 * Dimensions of an ImageJ hyperstack from its ImageDescription
 * ("ImageJ=1.54f\nimages=20\nchannels=2\nslices=1\nframes=10\nhyperstack=true…"):
 * ImageJ writes the pages channel fastest, then slice (z), then frame (t).
 * Null for other descriptions.
 */
export function parseImageJDimensions(description: string | undefined): OmeDimensions | null {
  if (!description?.startsWith('ImageJ=')) return null;
  const value = (key: string) => Math.max(1, Number(new RegExp(`^${key}=(\\d+)$`, 'm').exec(description)?.[1] ?? '1') || 1);
  return { order: 'XYCZT', sizeC: value('channels'), sizeZ: value('slices'), sizeT: value('frames') };
}

/**
 * The frames a file holds. A file whose name gives the time point holds one
 * frame (page 0). Otherwise pages are time points (t = page + 1), or, in an
 * OME-TIFF or an ImageJ hyperstack with channels or z planes, pages follow its
 * dimension order.
 */
export function framesOfFile(loc: FrameLocation, pages: number, description?: string): PageFrame[] {
  if (loc.t !== undefined) return [{ page: 0, t: loc.t, channel: loc.channel }];
  const ome = parseOmeDimensions(description) ?? parseImageJDimensions(description);
  const out: PageFrame[] = [];
  for (let page = 0; page < pages; page++) {
    if (!ome || ome.sizeC * ome.sizeZ === 1) {
      out.push({ page, t: page + 1, channel: loc.channel });
      continue;
    }
    // DimensionOrder lists axes fastest first after XY.
    const sizes: Record<string, number> = { Z: ome.sizeZ, C: ome.sizeC, T: ome.sizeT };
    const index: Record<string, number> = {};
    let rest = page;
    for (const axis of ome.order.slice(2)) {
      index[axis] = rest % sizes[axis]!;
      rest = Math.floor(rest / sizes[axis]!);
    }
    const z = index.Z ?? 0;
    const channel = String(index.C ?? 0) + (z === 0 ? '' : `.z${z}`);
    out.push({ page, t: (index.T ?? 0) + 1 + rest * ome.sizeT, channel });
  }
  return out;
}
