import { describe, expect, it } from 'vitest';
import { STATION_COMMANDS } from '../../../preload/api.js';
import { dispatchCommand, LIMITS, validateCommand, ValidationError } from '../../../main/station/validate.js';

const policy = { include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false };

const good: Record<string, unknown> = {
  getOverview: undefined,
  getProgress: null,
  getEngineStatus: {},
  getNanowell: 3,
  getFrame: 7,
  getImage: { frameId: 7, kind: 'member', member: 2, maxSize: 96 },
  decide: { frameIds: [1, 2], verdict: 'accept', reviewer: ' ana ', note: 'ok' },
  undo: { frameIds: [1], reviewer: 'ana' },
  previewBulk: { maxPOofAfter: 0.2, maxSpread: 0.05 },
  applyBulk: { rule: { maxPOofAfter: 0.2, maxSpread: 0.05, undecidedOnly: false }, frameIds: [3, 4], reviewer: 'ana' },
  listErrors: { limit: 50, beforeId: 10 },
  setPaused: { paused: true },
  previewExport: policy,
  startExport: { destination: '/tmp/out', policy, merge: false },
  getFocusStatus: undefined,
  labelFocus: { frameIds: [5], label: 'oof', who: 'ana' },
  calibrate: { who: 'ana' },
  restoreAnyway: { who: 'ana', runId: 1 },
};

describe('validateCommand', () => {
  it('accepts a well-formed payload for every command', () => {
    for (const command of STATION_COMMANDS) {
      expect(() => validateCommand(command, good[command]), command).not.toThrow();
    }
    expect(validateCommand('decide', good.decide)).toEqual({ frameIds: [1, 2], verdict: 'accept', reviewer: 'ana', note: 'ok' });
  });

  const bad: [string, unknown, RegExp][] = [
    ['getOverview', { extra: 1 }, /unknown field "extra"/],
    ['getNanowell', '3', /wellId must be a whole number/],
    ['labelFocus', { frameIds: [5], label: 'accept', who: 'ana' }, /labelFocus.label must be one of in_focus, oof, clear/],
    ['labelFocus', { frameIds: [5], label: 'oof', who: ' ' }, /labelFocus.who must not be empty/],
    ['calibrate', {}, /calibrate.who is required/],
    ['restoreAnyway', { who: 'ana', runId: 0 }, /restoreAnyway.runId must be between 1 and/],
    ['getNanowell', 0, /between 1 and/],
    ['getFrame', 1.5, /whole number/],
    ['getImage', { frameId: 1, kind: 'thumbnail' }, /kind must be one of original, restored, spread, member/],
    ['getImage', { frameId: 1, kind: 'member' }, /member is required/],
    ['getImage', { frameId: 1, kind: 'original', maxSize: 100_000 }, /maxSize must be between 16 and 4096/],
    ['getImage', { frameId: 1, kind: 'original', path: '/etc/passwd' }, /unknown field "path"/],
    ['decide', { frameIds: [], verdict: 'accept', reviewer: 'a' }, /at least one frame/],
    ['decide', { frameIds: [1, 1], verdict: 'accept', reviewer: 'a' }, /more than once/],
    ['decide', { frameIds: [1], verdict: 'maybe', reviewer: 'a' }, /verdict must be one of/],
    ['decide', { frameIds: [1], verdict: 'accept', reviewer: '   ' }, /reviewer must not be empty/],
    ['decide', { frameIds: [1], verdict: 'accept', reviewer: 'x'.repeat(65) }, /too long \(65 > 64/],
    ['decide', { frameIds: [1], verdict: 'accept', reviewer: 'a', note: 'n'.repeat(LIMITS.maxNoteLength + 1) }, /note is too long/],
    ['decide', { frameIds: [1], verdict: 'accept', reviewer: 'a\u0000b' }, /control characters/],
    ['decide', { frameIds: [1], verdict: 'accept' }, /reviewer is required/],
    ['decide', [1, 2], /must be an object, got an array/],
    ['previewBulk', { maxPOofAfter: 2, maxSpread: 0.1 }, /maxPOofAfter must be between 0 and 1/],
    ['previewBulk', { maxPOofAfter: Number.NaN, maxSpread: 0.1 }, /finite number/],
    ['applyBulk', { rule: { maxPOofAfter: 0.1, maxSpread: 0.1 }, frameIds: [1], reviewer: 'a', force: true }, /unknown field "force"/],
    ['applyBulk', { rule: { maxPOofAfter: 0.1, maxSpread: 0.1 }, reviewer: 'a' }, /applyBulk.frameIds is required/],
    ['applyBulk', { rule: { maxPOofAfter: 0.1, maxSpread: 0.1 }, frameIds: [], reviewer: 'a' }, /at least one frame/],
    ['listErrors', { limit: 10_000 }, /limit must be between 1 and 1000/],
    ['setPaused', { paused: 'yes' }, /paused must be true or false/],
    ['previewExport', { ...policy, include: 'all' }, /include must be one of/],
    ['startExport', { destination: '', policy }, /destination must not be empty/],
    ['startExport', { destination: 'exports/run1', policy }, /destination must be an absolute folder path, got "exports\/run1"/],
    ['startExport', { destination: './out', policy }, /absolute folder path/],
    ['startExport', { destination: '..\\out', policy }, /absolute folder path/],
  ];
  for (const [command, payload, message] of bad) {
    it(`rejects ${command} ${JSON.stringify(payload)?.slice(0, 60)}`, () => {
      expect(() => validateCommand(command as never, payload)).toThrow(ValidationError);
      expect(() => validateCommand(command as never, payload)).toThrow(message);
    });
  }

  it('accepts absolute export destinations on POSIX and Windows', () => {
    for (const destination of ['/data/exports/run1', 'C:\\data\\out', 'd:/out', '\\\\server\\share\\out']) {
      expect(validateCommand('startExport', { destination, policy }).destination).toBe(destination);
    }
  });

  it('rejects objects with a non-plain prototype', () => {
    const payload = Object.create({ inherited: true }) as object;
    expect(() => validateCommand('getOverview', payload)).toThrow(/plain object/);
  });
});

describe('dispatchCommand', () => {
  it('refuses unknown commands and passes validated arguments to the api', async () => {
    const calls: unknown[] = [];
    const api = { getFrame: async (id: number) => (calls.push(id), { id }) } as never;
    await expect(dispatchCommand(api, 'dropTables', {})).rejects.toThrow(/unknown command/);
    await expect(dispatchCommand(api, 'getFrame', 'x')).rejects.toThrow(ValidationError);
    await expect(dispatchCommand(api, 'getFrame', 4)).resolves.toEqual({ id: 4 });
    expect(calls).toEqual([4]);
  });
});
