/**
 * Typed in-process event stream of the station core. Consumers (pipeline, UI
 * transports, CLI progress lines) subscribe; a throwing listener is isolated so
 * one faulty consumer cannot stop the others.
 */
import type { StationEvent } from './domain.js';

export type Listener = (event: StationEvent) => void;

export class EventBus {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: StationEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // Never let a consumer break the producer; report on stderr for the log.
        console.error(`event listener failed on ${event.type}:`, err);
      }
    }
  }

  get size(): number {
    return this.listeners.size;
  }
}
