/**
 * Transport of the Electron shell: the preload exposes the StationApi as
 * `window.postfocus` (contextBridge; one invoke per command, nothing else).
 */
import type { StationApi } from '../../../preload/api.js';
import type { LinkState, Transport } from './transport.js';

declare global {
  interface Window {
    postfocus?: StationApi;
  }
}

/** The Electron transport, or null when not running under the Electron shell. */
export function ipcTransport(): Transport | null {
  const api = window.postfocus;
  if (!api) return null;
  return {
    kind: 'electron',
    getOverview: () => api.getOverview(),
    getNanowell: (id) => api.getNanowell(id),
    getFrame: (id) => api.getFrame(id),
    getImage: (r) => api.getImage(r),
    decide: (i) => api.decide(i),
    undo: (i) => api.undo(i),
    previewBulk: (r) => api.previewBulk(r),
    applyBulk: (i) => api.applyBulk(i),
    listErrors: (i) => api.listErrors(i),
    getProgress: () => api.getProgress(),
    getEngineStatus: () => api.getEngineStatus(),
    setPaused: (i) => api.setPaused(i),
    previewExport: (p) => api.previewExport(p),
    startExport: (i) => api.startExport(i),
    getFocusStatus: () => api.getFocusStatus(),
    labelFocus: (i) => api.labelFocus(i),
    calibrate: (i) => api.calibrate(i),
    restoreAnyway: (i) => api.restoreAnyway(i),
    subscribe: (l) => api.subscribe(l),
    onLink(listener: (state: LinkState) => void) {
      listener('open');
      return () => {};
    },
  };
}
