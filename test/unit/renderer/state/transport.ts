/**
 * A transport for the renderer state tests: answers StationApi calls from a
 * table of handlers and records every call; events and link changes are pushed
 * by the test. A call with no handler fails, naming the command.
 */
import type { StationApi, StationEvent } from '../../../../preload/api.js';
import type { LinkState, Transport } from '../../../../renderer/src/transport/transport.js';

type Command = Exclude<keyof StationApi, 'subscribe'>;
type Handlers = { [C in Command]?: (...args: Parameters<StationApi[C]>) => ReturnType<StationApi[C]> | Awaited<ReturnType<StationApi[C]>> };

export interface FakeTransport extends Transport {
  calls: { command: Command; arg: unknown }[];
  emit(event: StationEvent): void;
  setLink(state: LinkState): void;
}

export function fakeTransport(handlers: Handlers = {}): FakeTransport {
  const listeners = new Set<(e: StationEvent) => void>();
  const linkListeners = new Set<(s: LinkState) => void>();
  const calls: FakeTransport['calls'] = [];
  const target = {
    kind: 'web' as const,
    calls,
    subscribe(listener: (e: StationEvent) => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onLink(listener: (s: LinkState) => void) {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    },
    emit(event: StationEvent) {
      for (const l of listeners) l(event);
    },
    setLink(state: LinkState) {
      for (const l of linkListeners) l(state);
    },
  };
  return new Proxy(target, {
    get(obj, prop: string) {
      if (prop in obj) return obj[prop as keyof typeof obj];
      return async (arg: unknown) => {
        calls.push({ command: prop as Command, arg });
        const h = handlers[prop as Command] as ((a: unknown) => unknown) | undefined;
        if (!h) throw new Error(`no handler for ${prop}`);
        return h(arg);
      };
    },
  }) as unknown as FakeTransport;
}
