import { beforeEach, describe, expect, it, vi } from 'vitest';
import { STATION_COMMANDS, type StationApi } from '../../../preload/api.js';

// The Electron binary is not available here (and must not be downloaded):
// the modules under test get a mocked ipcMain / contextBridge / ipcRenderer.
const electron = vi.hoisted(() => {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  const exposed: Record<string, unknown> = {};
  const invoked: { channel: string; args: unknown[] }[] = [];
  return {
    handlers,
    exposed,
    invoked,
    ipcMain: {
      handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => handlers.set(channel, fn),
      removeHandler: (channel: string) => handlers.delete(channel),
    },
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
    ipcRenderer: {
      invoke: async (channel: string, ...args: unknown[]) => (invoked.push({ channel, args }), 'ok'),
      on: vi.fn(),
      removeListener: vi.fn(),
    },
  };
});
vi.mock('electron', () => ({
  ipcMain: electron.ipcMain,
  contextBridge: electron.contextBridge,
  ipcRenderer: electron.ipcRenderer,
}));

const { ipcMain } = await import('electron');
const { commandChannel, registerIpcHandlers, UntrustedSenderError } = await import('../../../main/electron/ipc.js');
const { ValidationError } = await import('../../../main/station/validate.js');

const OUR_WC = 7;
const trusted = { sender: { id: OUR_WC }, senderFrame: { url: 'app://postfocus/index.html' } };

function fakeApi(calls: { command: string; arg: unknown }[]): Omit<StationApi, 'subscribe'> {
  return Object.fromEntries(
    STATION_COMMANDS.map((c) => [c, async (arg: unknown) => (calls.push({ command: c, arg }), { answered: c })]),
  ) as unknown as Omit<StationApi, 'subscribe'>;
}

describe('IPC handlers', () => {
  let calls: { command: string; arg: unknown }[];
  const refused: string[] = [];

  beforeEach(() => {
    electron.handlers.clear();
    calls = [];
    refused.length = 0;
    registerIpcHandlers(ipcMain as never, fakeApi(calls), {
      isOurWebContents: (id) => id === OUR_WC,
      isAppUrl: (url) => url.startsWith('app://postfocus/'),
      onRefused: (_c, reason) => refused.push(reason),
    });
  });

  function call(command: (typeof STATION_COMMANDS)[number], event: unknown, ...args: unknown[]): Promise<unknown> {
    const handler = electron.handlers.get(commandChannel(command));
    if (!handler) throw new Error(`no handler for ${command}`);
    return handler(event, ...args);
  }

  it('registers exactly one channel per StationApi command', () => {
    expect([...electron.handlers.keys()].sort()).toEqual(STATION_COMMANDS.map(commandChannel).sort());
  });

  it('passes a valid call from our window to the core', async () => {
    await expect(call('getFrame', trusted, 12)).resolves.toEqual({ answered: 'getFrame' });
    await expect(call('getOverview', trusted)).resolves.toEqual({ answered: 'getOverview' });
    expect(calls).toEqual([
      { command: 'getFrame', arg: 12 },
      { command: 'getOverview', arg: undefined },
    ]);
  });

  it('rejects calls from a webContents that is not ours', async () => {
    await expect(call('decide', { sender: { id: 99 }, senderFrame: trusted.senderFrame }, { frameIds: [1], verdict: 'accept', reviewer: 'x' })).rejects.toThrow(
      UntrustedSenderError,
    );
    expect(calls).toHaveLength(0);
    expect(refused[0]).toMatch(/refused decide from webContents 99/);
  });

  it('rejects calls from a frame showing another origin (e.g. a navigated or embedded page)', async () => {
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'app://other/index.html']) {
      await expect(call('getOverview', { sender: { id: OUR_WC }, senderFrame: { url } })).rejects.toThrow(UntrustedSenderError);
    }
    await expect(call('getOverview', { sender: { id: OUR_WC }, senderFrame: null })).rejects.toThrow(UntrustedSenderError);
    expect(calls).toHaveLength(0);
  });

  it('rejects malformed payloads before the core sees them', async () => {
    const malformed: [(typeof STATION_COMMANDS)[number], unknown[]][] = [
      ['getFrame', ['12']],
      ['getFrame', [-1]],
      ['decide', [{ frameIds: [1], verdict: 'accept', reviewer: 'x', sql: 'drop' }]],
      ['decide', [{ frameIds: 'all', verdict: 'accept', reviewer: 'x' }]],
      ['getImage', [{ frameId: 1, kind: 'original', maxSize: 1e9 }]],
      ['setPaused', [{ paused: 1 }]],
      ['getOverview', [{}, 'second argument']],
    ];
    for (const [command, args] of malformed) {
      await expect(call(command, trusted, ...args), `${command} ${JSON.stringify(args)}`).rejects.toThrow(ValidationError);
    }
    expect(calls).toHaveLength(0);
  });
});

describe('preload', () => {
  it('exposes exactly the StationApi methods as window.postfocus, never ipcRenderer', async () => {
    await import('../../../preload/index.js');
    const api = electron.exposed.postfocus as Record<string, unknown>;
    expect(Object.keys(electron.exposed)).toEqual(['postfocus']);
    expect(Object.keys(api).sort()).toEqual([...STATION_COMMANDS, 'subscribe'].sort());
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    expect(Object.values(api)).not.toContain(electron.ipcRenderer);
    await (api.decide as (i: unknown) => Promise<unknown>)({ frameIds: [3], verdict: 'reject', reviewer: 'r' });
    await (api.getOverview as () => Promise<unknown>)();
    expect(electron.invoked).toEqual([
      { channel: 'postfocus:decide', args: [{ frameIds: [3], verdict: 'reject', reviewer: 'r' }] },
      { channel: 'postfocus:getOverview', args: [] },
    ]);
    const unsubscribe = (api.subscribe as (l: () => void) => () => void)(() => {});
    expect(electron.ipcRenderer.on).toHaveBeenCalledWith('postfocus:event', expect.any(Function));
    unsubscribe();
    expect(electron.ipcRenderer.removeListener).toHaveBeenCalledWith('postfocus:event', expect.any(Function));
  });
});
