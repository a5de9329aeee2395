import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDestination, ExportRefusedError, mergeInto, partialPathFor, publishPartial } from '../../../main/export/destination.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'pf-dest-'));
  mkdirSync(join(root, 'acq'));
  mkdirSync(join(root, 'ws'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const opts = () => ({ acquisitionRoots: [join(root, 'acq')], workspace: join(root, 'ws'), merge: false });

describe('checkDestination', () => {
  it('accepts a new folder outside the acquisition', () => {
    expect(checkDestination(join(root, 'out', 'x'), opts())).toBe(join(root, 'out', 'x'));
  });
  it('refuses a destination inside the acquisition, also through a symlink', () => {
    expect(() => checkDestination(join(root, 'acq', 'export'), opts())).toThrow(ExportRefusedError);
    expect(() => checkDestination(join(root, 'acq'), opts())).toThrow(/inside the acquisition folder/);
    symlinkSync(join(root, 'acq'), join(root, 'link'));
    expect(() => checkDestination(join(root, 'link', 'export'), opts())).toThrow(/inside the acquisition folder/);
  });
  it('refuses a destination that contains the acquisition or the workspace', () => {
    expect(() => checkDestination(root, opts())).toThrow(/contains the acquisition folder/);
    expect(() => checkDestination(join(root, 'ws'), { ...opts(), acquisitionRoots: [] })).toThrow(/workspace/);
  });
  it('refuses an existing destination unless merging', () => {
    mkdirSync(join(root, 'out'));
    expect(() => checkDestination(join(root, 'out'), opts())).toThrow(/already exists.*--merge/);
    expect(checkDestination(join(root, 'out'), { ...opts(), merge: true })).toBe(join(root, 'out'));
    writeFileSync(join(root, 'file'), 'x');
    expect(() => checkDestination(join(root, 'file'), { ...opts(), merge: true })).toThrow(/not a folder/);
  });
  it('does not take a sibling with a common prefix for "inside"', () => {
    expect(checkDestination(join(root, 'acq-export'), opts())).toBe(join(root, 'acq-export'));
  });
});

describe('publishing', () => {
  it('renames the partial folder when the destination is new', () => {
    const dest = join(root, 'out');
    const partial = partialPathFor(dest, 42);
    expect(partial).toBe(`${dest}.partial-42`);
    mkdirSync(join(partial, 'a'), { recursive: true });
    writeFileSync(join(partial, 'a', 'f.txt'), '1');
    publishPartial(partial, dest, false);
    expect(existsSync(partial)).toBe(false);
    expect(readFileSync(join(dest, 'a', 'f.txt'), 'utf8')).toBe('1');
  });
  it('merges: adds and replaces files, keeps the others', () => {
    const dest = join(root, 'out');
    mkdirSync(join(dest, 'a'), { recursive: true });
    writeFileSync(join(dest, 'a', 'old.txt'), 'old');
    writeFileSync(join(dest, 'a', 'f.txt'), 'before');
    const partial = partialPathFor(dest, 7);
    mkdirSync(join(partial, 'a'), { recursive: true });
    mkdirSync(join(partial, 'b'));
    writeFileSync(join(partial, 'a', 'f.txt'), 'after');
    writeFileSync(join(partial, 'b', 'n.txt'), 'new');
    mergeInto(partial, dest);
    expect(readFileSync(join(dest, 'a', 'old.txt'), 'utf8')).toBe('old');
    expect(readFileSync(join(dest, 'a', 'f.txt'), 'utf8')).toBe('after');
    expect(readFileSync(join(dest, 'b', 'n.txt'), 'utf8')).toBe('new');
    expect(existsSync(partial)).toBe(false);
  });
});
