import { describe, expect, it } from 'vitest';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../../../main/cli/args.js';

const spec = { workspace: { type: 'string', alias: 'w' }, rate: { type: 'string' }, json: { type: 'boolean' } } as const;

describe('parseArgs', () => {
  it('reads long flags, aliases, inline values and positionals in order', () => {
    const r = parseArgs(['acq', '-w', 'ws', '--rate=5', '--json', 'more'], spec);
    expect(r.positionals).toEqual(['acq', 'more']);
    expect(r.flags).toEqual({ workspace: 'ws', rate: '5', json: true });
  });

  it('gives a string flag the next argument even when it starts with a dash', () => {
    expect(parseArgs(['--rate', '-3'], spec).flags.rate).toBe('-3');
    expect(() => numberFlag(parseArgs(['--rate', '-3'], spec).flags, 'rate', 1, { min: 0 })).toThrow(/--rate must be between 0 and Infinity, got -3/);
  });

  it('treats everything after -- as positionals', () => {
    expect(parseArgs(['a', '--', '--json', '-w'], spec)).toEqual({ positionals: ['a', '--json', '-w'], flags: {} });
  });

  it('names the flag in every usage error', () => {
    expect(() => parseArgs(['--wokspace', 'x'], spec)).toThrow(new UsageError('unknown option --wokspace'));
    expect(() => parseArgs(['-x'], spec)).toThrow(new UsageError('unknown option -x'));
    expect(() => parseArgs(['--rate'], spec)).toThrow(new UsageError('--rate needs a value'));
    expect(() => parseArgs(['--json=yes'], spec)).toThrow(new UsageError('--json takes no value'));
  });
});

describe('numberFlag / stringFlag', () => {
  it('falls back, parses and range-checks', () => {
    const { flags } = parseArgs(['--rate', '2.5', '-w', 'ws'], spec);
    expect(numberFlag(flags, 'rate', 1)).toBe(2.5);
    expect(numberFlag({}, 'rate', 7)).toBe(7);
    expect(() => numberFlag(flags, 'rate', 1, { integer: true })).toThrow(/--rate must be a whole number, got 2.5/);
    expect(() => numberFlag({ rate: 'fast' }, 'rate', 1)).toThrow(/--rate must be a number, got "fast"/);
    expect(stringFlag(flags, 'workspace')).toBe('ws');
    expect(stringFlag(flags, 'json')).toBeUndefined();
  });
});

describe('stringFlags / booleanFlags', () => {
  it('build a parseArgs spec from flag names', () => {
    const compact = { ...stringFlags('rate', 'seed'), ...booleanFlags('json') };
    expect(compact).toEqual({ rate: { type: 'string' }, seed: { type: 'string' }, json: { type: 'boolean' } });
    expect(parseArgs(['--seed', '3', '--json'], compact).flags).toEqual({ seed: '3', json: true });
  });
});
