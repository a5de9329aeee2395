/**
 * OME-XML (schema 2016-06) for one nanowell's time-lapse stack, stored in the
 * ImageDescription of the first page of `B<block>_<well>.ome.tif`.
 * Pure module (no node).
 *
 * Excluded time points are kept as blank (all-zero) pages rather than omitted:
 * Fiji (Bio-Formats) and napari (tifffile) index frames by page, and trackers
 * assume consecutive frames are `TimeIncrement` apart, so a stack with holes
 * removed would silently compress time and mislabel every later frame. With
 * blank pages, T index = t − 1 in every viewer; the excluded and restored T
 * indices are listed in a MapAnnotation (and the manifest) so analysis code can
 * mask them. Blank pages cost almost nothing once deflate-compressed.
 */

export type OmePixelType = 'uint8' | 'uint16' | 'float';

export interface OmeStackInfo {
  /** Image name shown by viewers, e.g. `B1_imgNo3`. */
  name: string;
  width: number;
  height: number;
  /** Number of time points (pages per channel); T index = t − 1. */
  sizeT: number;
  /** Channel labels in page order (pages are T-major, channel inner: XYCZT). */
  channels: string[];
  pixelType: OmePixelType;
  /** Pixel size in µm (X = Y for these cameras). */
  physicalSizeUm: number;
  /** Frame interval in seconds. */
  timeIncrementS: number;
  /** 0-based T indices whose pages are blank (excluded or never acquired). */
  excludedT: number[];
  /** 0-based T indices whose pages hold an accepted restoration. */
  restoredT: number[];
  /** Free-text provenance (policy, app version) put in the Image Description. */
  description: string;
  /** Extra key/value pairs for the MapAnnotation. */
  annotations?: Record<string, string>;
}

/** Escapes text for an XML attribute or element. */
export function escapeXml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Compact list of indices: `0,3-5,9` (ranges keep long exclusions short). */
export function formatIndexRanges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new Error(`OME-XML: ${name} must be a positive number, got ${value}`);
  return value;
}

/** The OME-XML document for a single-file, single-image stack (XYCZT, Z = 1). */
export function buildOmeXml(info: OmeStackInfo): string {
  for (const [k, v] of [['width', info.width], ['height', info.height], ['sizeT', info.sizeT]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`OME-XML: ${k} must be a positive whole number, got ${v}`);
  }
  if (info.channels.length === 0) throw new Error('OME-XML: at least one channel is needed');
  positive(info.physicalSizeUm, 'physicalSizeUm');
  positive(info.timeIncrementS, 'timeIncrementS');
  const sizeC = info.channels.length;
  const planes = sizeC * info.sizeT;
  const channels = info.channels
    .map((c, i) => `<Channel ID="Channel:0:${i}" Name="${escapeXml(c)}" SamplesPerPixel="1"/>`)
    .join('');
  const pairs: [string, string][] = [
    ['excludedT', formatIndexRanges(info.excludedT)],
    ['restoredT', formatIndexRanges(info.restoredT)],
    ['blankPages', 'excluded time points are kept as all-zero pages so that T index = t - 1'],
    ...Object.entries(info.annotations ?? {}),
  ];
  const map = pairs.map(([k, v]) => `<M K="${escapeXml(k)}">${escapeXml(v)}</M>`).join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>' +
    '<OME xmlns="http://www.openmicroscopy.org/Schemas/OME/2016-06" ' +
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ' +
    'xsi:schemaLocation="http://www.openmicroscopy.org/Schemas/OME/2016-06 ' +
    'http://www.openmicroscopy.org/Schemas/OME/2016-06/ome.xsd" ' +
    'Creator="PostFocus Station">' +
    `<Image ID="Image:0" Name="${escapeXml(info.name)}">` +
    `<Description>${escapeXml(info.description)}</Description>` +
    `<Pixels ID="Pixels:0" DimensionOrder="XYCZT" Type="${info.pixelType}" ` +
    `SizeX="${info.width}" SizeY="${info.height}" SizeZ="1" SizeC="${sizeC}" SizeT="${info.sizeT}" ` +
    `PhysicalSizeX="${info.physicalSizeUm}" PhysicalSizeXUnit="µm" ` +
    `PhysicalSizeY="${info.physicalSizeUm}" PhysicalSizeYUnit="µm" ` +
    `TimeIncrement="${info.timeIncrementS}" TimeIncrementUnit="s" ` +
    `BigEndian="false" Interleaved="false">` +
    channels +
    `<TiffData IFD="0" PlaneCount="${planes}"/>` +
    '</Pixels>' +
    '<AnnotationRef ID="Annotation:0"/>' +
    '</Image>' +
    '<StructuredAnnotations>' +
    '<MapAnnotation ID="Annotation:0" Namespace="postfocus.station/export">' +
    `<Value>${map}</Value>` +
    '</MapAnnotation>' +
    '</StructuredAnnotations>' +
    '</OME>'
  );
}
