/**
 * Preload of the Electron window (sandboxed, CommonJS): exposes exactly the
 * StationApi to the renderer as `window.postfocus` — one invoke per command on
 * a closed list of channels, plus `subscribe` for the event stream. Never the
 * ipcRenderer itself.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { STATION_COMMANDS, type StationApi, type StationCommand, type StationEvent } from './api.js';

// Kept in step with main/electron/ipc.ts (commandChannel, EVENT_CHANNEL); the
// preload cannot import main-process code.
const channelOf = (command: StationCommand): string => `postfocus:${command}`;
const EVENT_CHANNEL = 'postfocus:event';

const invoke =
  (command: StationCommand) =>
  (...args: unknown[]): Promise<unknown> =>
    // Exactly one payload argument (or none) crosses the bridge.
    args.length === 0 ? ipcRenderer.invoke(channelOf(command)) : ipcRenderer.invoke(channelOf(command), args[0]);

const commands = Object.fromEntries(STATION_COMMANDS.map((c) => [c, invoke(c)])) as Omit<StationApi, 'subscribe'>;

const api: StationApi = {
  ...commands,
  subscribe(listener: (event: StationEvent) => void): () => void {
    const handler = (_e: IpcRendererEvent, event: StationEvent): void => listener(event);
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, handler);
    };
  },
};

contextBridge.exposeInMainWorld('postfocus', api);
