/**
 * What the renderer talks to: the StationApi, plus the state of the link to
 * the core (the web shell's WebSocket can drop; Electron IPC cannot).
 */
import type { StationApi } from '../../../preload/api.js';

export type LinkState = 'connecting' | 'open' | 'closed';

export interface Transport extends StationApi {
  /** Which shell serves us, for the status bar. */
  readonly kind: 'electron' | 'web';
  /** Reports the link state; `open` again after a drop means: reload state. */
  onLink(listener: (state: LinkState) => void): () => void;
}
