/**
 * Encoding of the export's TIFF files through main/imaging/tiff-write.ts.
 *
 * Why not the `geotiff` package (which reads all our files): its writer produces
 * only single-page, uncompressed, big-endian files carrying GeoTIFF tags. The
 * OME-TIFF stacks need many pages, deflate compression and OME-XML in the first
 * page's ImageDescription; plain little-endian baseline TIFF is also what the
 * TIMING pipeline, Fiji and tifffile read without surprises.
 */
import type { TiffPage as DecodedPage } from '../imaging/tiff-read.js';
import { encodeTiff } from '../imaging/tiff-write.js';

const SOFTWARE = 'PostFocus Station export';

/**
 * One frame as a single-page TIFF: uncompressed (as TIMING's own crops, so any
 * downstream reader copes), samples exactly as given (8/16-bit or float32).
 */
export function encodeSingle(page: DecodedPage, pixelSizeUm?: number): Buffer {
  return encodeTiff(
    { width: page.width, height: page.height, data: page.data },
    { compression: 'none', software: SOFTWARE, ...(pixelSizeUm ? { pixelSizeUm } : {}) },
  );
}

/** A nanowell's OME-TIFF: multi-page, deflate-compressed, OME-XML on the first page. */
export function encodeStack(pages: readonly DecodedPage[], omeXml: string, pixelSizeUm?: number): Buffer {
  return encodeTiff(
    pages.map((p) => ({ width: p.width, height: p.height, data: p.data })),
    { compression: 'deflate', description: omeXml, software: SOFTWARE, ...(pixelSizeUm ? { pixelSizeUm } : {}) },
  );
}
