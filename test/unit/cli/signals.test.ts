import { afterEach, describe, expect, it, vi } from 'vitest';
import { onStopSignals, signalExitCode } from '../../../main/cli/signals.js';

describe('onStopSignals', () => {
  let remove: (() => void) | null = null;
  afterEach(() => {
    remove?.();
    remove = null;
    vi.useRealTimers();
  });

  it('stops once on the first signal and ignores the same Ctrl-C arriving twice (process group + forwarding wrapper)', () => {
    vi.useFakeTimers();
    const stop = vi.fn();
    const exit = vi.fn();
    remove = onStopSignals(stop, { quiet: true, exit });
    process.emit('SIGINT');
    vi.advanceTimersByTime(200);
    process.emit('SIGINT');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(stop).toHaveBeenCalledWith('SIGINT');
    expect(exit).not.toHaveBeenCalled();
  });

  it('exits with 128 + the signal number on a second signal after the grace window', () => {
    vi.useFakeTimers();
    const stop = vi.fn();
    const exit = vi.fn();
    remove = onStopSignals(stop, { quiet: true, exit, graceMs: 1000 });
    process.emit('SIGTERM');
    vi.advanceTimersByTime(1500);
    process.emit('SIGINT');
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});
