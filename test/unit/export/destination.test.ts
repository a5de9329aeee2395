import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkDestination,
  ExportRefusedError,
  mergeConflicts,
  mergeInto,
  partialPathFor,
  publishPartial,
  WRITTEN_FILES,
  writeWrittenFiles,
} from '../../../main/export/destination.js';
import { listFiles } from '../../helpers/export/verify.js';

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
  it('refuses a destination inside the workspace (the station cleans its own folder)', () => {
    expect(() => checkDestination(join(root, 'ws', 'export'), opts())).toThrow(/inside the workspace/);
    mkdirSync(join(root, 'ws', 'restored'));
    expect(() => checkDestination(join(root, 'ws', 'restored'), { ...opts(), merge: true })).toThrow(/inside the workspace/);
  });
  it('refuses an existing destination unless merging', () => {
    mkdirSync(join(root, 'out'));
    expect(() => checkDestination(join(root, 'out'), opts())).toThrow(/already exists.*merge into it/);
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
  it('merges: adds and replaces files an export wrote, keeps the others', () => {
    const dest = join(root, 'out');
    mkdirSync(join(dest, 'a'), { recursive: true });
    writeFileSync(join(dest, 'a', 'old.txt'), 'old');
    writeFileSync(join(dest, 'a', 'f.txt'), 'before');
    // The earlier export's list of files it wrote (what makes a.f.txt replaceable).
    const earlier = partialPathFor(dest, 6);
    mkdirSync(join(earlier, 'a'), { recursive: true });
    writeFileSync(join(earlier, 'a', 'f.txt'), 'before');
    writeWrittenFiles(earlier, new Map());
    writeFileSync(join(dest, WRITTEN_FILES), readFileSync(join(earlier, WRITTEN_FILES)));
    rmSync(earlier, { recursive: true });

    const partial = partialPathFor(dest, 7);
    mkdirSync(join(partial, 'a'), { recursive: true });
    mkdirSync(join(partial, 'b'));
    writeFileSync(join(partial, 'a', 'f.txt'), 'after');
    writeFileSync(join(partial, 'b', 'n.txt'), 'new');
    writeWrittenFiles(partial, new Map(), dest);
    mergeInto(partial, dest);
    expect(readFileSync(join(dest, 'a', 'old.txt'), 'utf8')).toBe('old');
    expect(readFileSync(join(dest, 'a', 'f.txt'), 'utf8')).toBe('after');
    expect(readFileSync(join(dest, 'b', 'n.txt'), 'utf8')).toBe('new');
    expect(existsSync(partial)).toBe(false);
    const listed = Object.keys((JSON.parse(readFileSync(join(dest, WRITTEN_FILES), 'utf8')) as { files: Record<string, string> }).files);
    expect(listed.sort()).toEqual(['a/f.txt', 'b/n.txt']);
  });

  it('refuses a merge that would delete or overwrite files no export wrote, naming them, and touches nothing', () => {
    const dest = join(root, 'out');
    mkdirSync(join(dest, 'c'), { recursive: true });
    writeFileSync(join(dest, 'B1'), 'a user file where the export puts a folder');
    writeFileSync(join(dest, 'notes.txt'), 'user notes');
    writeFileSync(join(dest, 'c', 'keep.txt'), 'unrelated');
    const partial = partialPathFor(dest, 8);
    mkdirSync(join(partial, 'B1', 'imgNo1'), { recursive: true });
    writeFileSync(join(partial, 'B1', 'imgNo1', 't1.tif'), 'tiff');
    writeFileSync(join(partial, 'B1', 'imgNo1', 't2.tif'), 'tiff');
    writeFileSync(join(partial, 'notes.txt'), 'export notes');
    mkdirSync(join(partial, 'c'), { recursive: true });
    writeFileSync(join(partial, 'c', 'new.txt'), 'fine');
    const before = listFiles(dest);
    expect(mergeConflicts(partial, dest)).toEqual(['B1 (a file where the export puts a folder)', 'notes.txt (not written by an export)']);
    expect(() => mergeInto(partial, dest)).toThrow(ExportRefusedError);
    expect(() => mergeInto(partial, dest)).toThrow(/2 files in the way[\s\S]*B1 \(a file where the export puts a folder\)[\s\S]*notes\.txt/);
    expect(listFiles(dest)).toEqual(before);
    expect(readFileSync(join(dest, 'B1'), 'utf8')).toBe('a user file where the export puts a folder');
    expect(readFileSync(join(dest, 'notes.txt'), 'utf8')).toBe('user notes');
  });

  it('treats a file the export wrote but the user changed since as a conflict', () => {
    const dest = join(root, 'out');
    const first = partialPathFor(dest, 9);
    mkdirSync(first, { recursive: true });
    writeFileSync(join(first, 'summary.json'), '{}');
    writeWrittenFiles(first, new Map());
    publishPartial(first, dest, false);
    writeFileSync(join(dest, 'summary.json'), '{"edited": true}');
    const second = partialPathFor(dest, 10);
    mkdirSync(second, { recursive: true });
    writeFileSync(join(second, 'summary.json'), '{"new": 1}');
    writeWrittenFiles(second, new Map(), dest);
    expect(mergeConflicts(second, dest)).toEqual(['summary.json (changed since the export wrote it)']);
    expect(() => publishPartial(second, dest, true)).toThrow(/changed since/);
    expect(readFileSync(join(dest, 'summary.json'), 'utf8')).toBe('{"edited": true}');
  });
});
