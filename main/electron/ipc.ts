/**
 * IPC handlers of the Electron shell: one `ipcMain.handle` per StationApi
 * command on a closed list of channels, each checking that the sender is our
 * window showing our app, and validating the payload (main/station/validate.ts)
 * before the core sees it. Written against a minimal `ipcMain`-like interface
 * so the checks are unit-tested without Electron.
 */
import { STATION_COMMANDS, type StationApi, type StationCommand, type StationEvent } from '../../preload/api.js';
import { dispatchCommand, ValidationError } from '../station/validate.js';

/** Channel of a command: `postfocus:<command>`. */
export function commandChannel(command: StationCommand): string {
  return `postfocus:${command}`;
}

/** Channel of the event stream (main → renderer). */
export const EVENT_CHANNEL = 'postfocus:event';

/** The parts of an IpcMainInvokeEvent the checks use. */
export interface InvokeEventLike {
  sender: { id: number };
  senderFrame: { url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export interface IpcOptions {
  /** webContents ids of our windows. */
  isOurWebContents(id: number): boolean;
  /** Whether a frame URL is our app (the app:// origin). */
  isAppUrl(url: string): boolean;
  /** Reported for every refused call (the shell logs it). */
  onRefused?(channel: string, reason: string): void;
}

/** Thrown to the renderer for a call from a sender that is not our app. */
export class UntrustedSenderError extends Error {}

/** Whether an invoke comes from our window and from a frame showing our app. */
export function isTrustedSender(event: InvokeEventLike, options: IpcOptions): boolean {
  if (!options.isOurWebContents(event.sender.id)) return false;
  const url = event.senderFrame?.url;
  return typeof url === 'string' && options.isAppUrl(url);
}

/**
 * Registers one handler per command. Each call: sender check, then exactly one
 * payload argument validated by the command's schema, then the core.
 * Returns a function removing the handlers.
 */
export function registerIpcHandlers(ipcMain: IpcMainLike, api: Omit<StationApi, 'subscribe'>, options: IpcOptions): () => void {
  const channels: string[] = [];
  for (const command of STATION_COMMANDS) {
    const channel = commandChannel(command);
    ipcMain.handle(channel, async (event, ...args) => {
      if (!isTrustedSender(event, options)) {
        const reason = `refused ${command} from webContents ${event.sender.id} (${event.senderFrame?.url ?? 'no frame'})`;
        options.onRefused?.(channel, reason);
        throw new UntrustedSenderError(reason);
      }
      if (args.length > 1) {
        options.onRefused?.(channel, `${args.length} arguments`);
        throw new ValidationError(`${command} takes one argument, got ${args.length}`);
      }
      try {
        return await dispatchCommand(api, command, args[0]);
      } catch (err) {
        if (err instanceof ValidationError) options.onRefused?.(channel, err.message);
        throw err;
      }
    });
    channels.push(channel);
  }
  return () => {
    for (const c of channels) ipcMain.removeHandler(c);
  };
}

/** Forwards the station's events to a window (skipped once it is destroyed). */
export function forwardEvents(
  subscribe: (listener: (e: StationEvent) => void) => () => void,
  target: { isDestroyed(): boolean; send(channel: string, event: StationEvent): void },
): () => void {
  return subscribe((event) => {
    if (!target.isDestroyed()) target.send(EVENT_CHANNEL, event);
  });
}
