/**
 * Read-back checks for export tests: geotiff decoding, sha256 of files, and the
 * Python tifffile cross-check (skipped, with the reason, when tifffile is absent).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fromArrayBuffer } from 'geotiff';

export interface DecodedTiff {
  pages: { width: number; height: number; bits: number; data: number[] }[];
  description: string | undefined;
}

/** Decodes every page of a TIFF with geotiff (the npm package), as an independent reader. */
export async function readWithGeotiff(file: string): Promise<DecodedTiff> {
  const buf = readFileSync(file);
  const tiff = await fromArrayBuffer(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer);
  const count = await tiff.getImageCount();
  const pages: DecodedTiff['pages'] = [];
  let description: string | undefined;
  for (let i = 0; i < count; i++) {
    const image = await tiff.getImage(i);
    if (i === 0) description = (await image.fileDirectory.loadValue('ImageDescription')) as string | undefined;
    const raster = (await image.readRasters({ interleave: true })) as unknown as ArrayLike<number>;
    pages.push({ width: image.getWidth(), height: image.getHeight(), bits: image.getBitsPerSample(0), data: Array.from(raster) });
  }
  return { pages, description };
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every file under `dir` (relative POSIX paths), sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p).split('\\').join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

const PYTHON = '/usr/bin/python3';

/** Null when `/usr/bin/python3 -c "import tifffile"` works, else why not. */
export function tifffileUnavailable(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import tifffile, numpy; print(tifffile.__version__)'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} cannot run (${r.error.message})`;
  if (r.status !== 0) return `python tifffile is not installed (${r.stderr.trim().split('\n').pop()})`;
  return null;
}

export interface TifffileReport {
  path: string;
  pages: number;
  shape: number[];
  dtype: string;
  isOme: boolean;
  /** For OME files: parsed Pixels attributes and the MapAnnotation. */
  ome?: { pixels: Record<string, string>; annotations: Record<string, string>; planeCount: string | null };
  /** Sum of all samples (pixel equality is checked against geotiff cheaply). */
  sum: number;
}

const SCRIPT = `
import json, sys, tifffile, xml.etree.ElementTree as ET
ns = {'ome': 'http://www.openmicroscopy.org/Schemas/OME/2016-06'}
out = []
for path in sys.argv[1:]:
    with tifffile.TiffFile(path) as tf:
        arr = tf.asarray(key=range(len(tf.pages))) if len(tf.pages) > 1 else tf.asarray()
        rec = {'path': path, 'pages': len(tf.pages), 'shape': list(arr.shape), 'dtype': str(arr.dtype),
               'isOme': bool(tf.is_ome), 'sum': float(arr.astype('float64').sum())}
        if tf.is_ome:
            root = ET.fromstring(tf.ome_metadata)
            pixels = root.find('ome:Image/ome:Pixels', ns)
            tiffdata = pixels.find('ome:TiffData', ns)
            ann = {m.get('K'): (m.text or '') for m in root.iter('{%s}M' % ns['ome'])}
            rec['ome'] = {'pixels': dict(pixels.attrib), 'annotations': ann,
                          'planeCount': tiffdata.get('PlaneCount') if tiffdata is not None else None}
        out.append(rec)
print(json.dumps(out))
`;

/** Reads files with Python tifffile; returns one report per file. */
export function readWithTifffile(files: string[]): TifffileReport[] {
  const r = spawnSync(PYTHON, ['-c', SCRIPT, ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`tifffile check failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as TifffileReport[];
}
