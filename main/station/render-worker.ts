/**
 * Display rendering thread (bundled to dist/main/render-worker.js): decodes
 * frames and encodes their PNGs off the server's event loop, so a large frame
 * being rendered never holds every other API call. One FrameImages per thread
 * keeps its display windows and writes the same disk cache.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FrameImages, type ImageSources, type RenderThreadInit, type RenderThreadReply } from './images.js';
import type { ImageRequest } from '../common/domain.js';

const init = workerData as RenderThreadInit;
const images = new FrameImages(init.workspace, init.maxCacheBytes, init.maxPixels);

parentPort!.on('message', (m: { id: number; request: ImageRequest; sources: ImageSources }) => {
  images.render(m.request, m.sources).then(
    (payload) => parentPort!.postMessage({ id: m.id, ok: true, payload } satisfies RenderThreadReply),
    (err: Error) => parentPort!.postMessage({ id: m.id, ok: false, message: err.message } satisfies RenderThreadReply),
  );
});
