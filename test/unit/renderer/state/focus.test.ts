import { describe, expect, it } from 'vitest';
import type { FocusStatus } from '../../../../preload/api.js';
import { FocusState } from '../../../../renderer/src/state/focus.svelte.js';
import { fakeTransport } from './transport.js';

function status(over: Partial<FocusStatus> = {}): FocusStatus {
  return { summary: 'not calibrated', calibrated: false, labels: { inFocus: 0, oof: 0 }, calibration: null, guards: [], restorationHeld: false, ...over };
}

describe('FocusState', () => {
  it('labels a frame for the named operator and remembers the label in this session', async () => {
    const t = fakeTransport({ labelFocus: (input) => status({ labels: { inFocus: 0, oof: input.frameIds.length } }) });
    const s = new FocusState(t);
    expect(await s.label(7, 'oof', ' ana ')).toBe('labelled out of focus (labels: 0 in focus, 1 out of focus)');
    expect(t.calls[0]).toEqual({ command: 'labelFocus', arg: { frameIds: [7], label: 'oof', who: 'ana' } });
    expect(s.labelOf(7)).toBe('oof');
    await s.label(7, 'clear', 'ana');
    expect(s.labelOf(7)).toBeNull();
  });

  it('refuses to act without a name', async () => {
    const s = new FocusState(fakeTransport());
    await expect(s.label(1, 'in_focus', ' ')).rejects.toThrow(/enter your name/);
    await expect(s.calibrate('')).rejects.toThrow(/enter your name/);
    await expect(s.restoreAnyway('')).rejects.toThrow(/enter your name/);
  });

  it('is busy while calibrating and shows the tripped guards of the status in force', async () => {
    let resolve!: (s: FocusStatus) => void;
    const t = fakeTransport({ calibrate: () => new Promise<FocusStatus>((r) => (resolve = r)) });
    const s = new FocusState(t);
    const done = s.calibrate('ana');
    expect(s.busy).toBe(true);
    resolve(status({ summary: 'calibrated on 12 labels', calibrated: true }));
    expect(await done).toBe('calibrated on 12 labels');
    expect(s.busy).toBe(false);
    const guard = { runId: 1, state: 'tripped' as const, judged: 48, oof: 21, reason: 'too many OOF' };
    s.onEvent({ type: 'focus', status: status({ guards: [guard, { ...guard, runId: 2, state: 'clear' }] }) });
    expect(s.tripped).toEqual([guard]);
  });
});
