/**
 * Transport of the web shell: commands are `POST ./api/<command>` with the
 * access token in a header; events arrive on one WebSocket (`./events`), which
 * reconnects with backoff. The token comes from the page URL (`?token=…`).
 */
import type { StationApi, StationCommand, StationEvent } from '../../../preload/api.js';
import type { LinkState, Transport } from './transport.js';

/** The access token of this page (URL first, then this tab's session storage). */
export function pageToken(): string {
  const fromUrl = new URLSearchParams(location.search).get('token');
  if (fromUrl) {
    sessionStorage.setItem('postfocus.token', fromUrl);
    return fromUrl;
  }
  return sessionStorage.getItem('postfocus.token') ?? '';
}

/** An error answered by the station (validation or a refused command), or its absence. */
export class StationError extends Error {}

/** What the page says while the server does not answer. */
export const UNREACHABLE =
  'the station is not reachable: it stopped or is restarting. Start it again (postfocus serve <workspace>); this page reconnects by itself';
const WRONG_TOKEN =
  'the station no longer accepts this page\'s access token (it was started with a new one): open the URL it printed';

export function webTransport(): Transport {
  const token = pageToken();
  const listeners = new Set<(e: StationEvent) => void>();
  const linkListeners = new Set<(s: LinkState) => void>();
  let socket: WebSocket | null = null;
  let link: LinkState = 'connecting';
  let retry = 0;

  const setLink = (s: LinkState): void => {
    link = s;
    for (const l of linkListeners) l(s);
  };

  const connect = (): void => {
    const url = new URL('./events', location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    url.search = `?token=${encodeURIComponent(token)}`;
    setLink('connecting');
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      retry = 0;
      setLink('open');
    };
    ws.onmessage = (msg) => {
      let event: StationEvent | { type: 'hello' };
      try {
        event = JSON.parse(String(msg.data)) as StationEvent | { type: 'hello' };
      } catch {
        return;
      }
      if (event.type === 'hello') return;
      for (const l of listeners) l(event);
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      setLink('closed');
      // Quick retries (at most every 2 s): a restarted server answers at the same address.
      retry = Math.min(retry + 1, 3);
      setTimeout(connect, 250 * 2 ** retry);
    };
  };

  async function call<T>(command: StationCommand, payload?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`./api/${command}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-PostFocus-Token': token },
        body: payload === undefined ? '' : JSON.stringify(payload),
        cache: 'no-store',
      });
    } catch {
      // The browser's "Failed to fetch": the server is not there (stopped or restarting).
      throw new StationError(UNREACHABLE);
    }
    if (res.status === 401) throw new StationError(WRONG_TOKEN);
    let body: { ok: boolean; result?: T; error?: string };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      throw new StationError(`${command}: the station answered HTTP ${res.status}`);
    }
    if (!body.ok) throw new StationError(body.error ?? `${command} failed (HTTP ${res.status})`);
    return body.result as T;
  }

  const api: StationApi = {
    getOverview: () => call('getOverview'),
    getNanowell: (id) => call('getNanowell', id),
    getFrame: (id) => call('getFrame', id),
    getImage: (r) => call('getImage', r),
    decide: (i) => call('decide', i),
    undo: (i) => call('undo', i),
    previewBulk: (r) => call('previewBulk', r),
    applyBulk: (i) => call('applyBulk', i),
    listErrors: (i) => call('listErrors', i),
    getProgress: () => call('getProgress'),
    getEngineStatus: () => call('getEngineStatus'),
    setPaused: (i) => call('setPaused', i),
    previewExport: (p) => call('previewExport', p),
    startExport: (i) => call('startExport', i),
    getFocusStatus: () => call('getFocusStatus'),
    labelFocus: (i) => call('labelFocus', i),
    calibrate: (i) => call('calibrate', i),
    restoreAnyway: (i) => call('restoreAnyway', i),
    subscribe(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => listeners.delete(listener);
    },
  };
  return {
    ...api,
    kind: 'web',
    onLink(listener) {
      linkListeners.add(listener);
      listener(link);
      return () => linkListeners.delete(listener);
    },
  };
}
