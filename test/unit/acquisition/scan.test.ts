import { mkdirSync, symlinkSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DirectoryCache, forEachLimit, listTree } from '../../../main/acquisition/scan.js';
import { put } from '../../helpers/acquisition.js';
import { tempDir } from '../../helpers/workspace.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function tree(): string {
  const t = tempDir('pf-scan-');
  cleanups.push(t.cleanup);
  return t.dir;
}

describe('listTree', () => {
  it('lists files and folders relative to the root, skipping hidden entries', async () => {
    const root = tree();
    put(root, 'a/b/one.tif', 'x');
    put(root, 'a/two.tif', 'x');
    put(root, 'three.txt', 'x');
    put(root, '.hidden/four.tif', 'x');
    put(root, 'a/.five.tif', 'x');
    symlinkSync(join(root, 'three.txt'), join(root, 'link.txt'));
    const listing = await listTree(root);
    expect(listing.files.sort()).toEqual(['a/b/one.tif', 'a/two.tif', 'link.txt', 'three.txt']);
    expect(listing.dirs.sort()).toEqual(['a', 'a/b']);
    expect(listing.rootMissing).toBeNull();
    expect(listing.problems).toEqual([]);
  });

  it('reports a missing root instead of throwing', async () => {
    const listing = await listTree(join(tree(), 'not-there'));
    expect(listing.rootMissing).toMatchObject({ path: '', code: 'ENOENT' });
    expect(listing.files).toEqual([]);
  });

  it('reuses listings of folders whose mtime is unchanged and old enough, and lists changed ones again', async () => {
    const root = tree();
    put(root, 'w1/f1.tif', 'x');
    put(root, 'w2/f1.tif', 'x');
    const old = new Date(Date.now() - 60_000);
    for (const d of ['', 'w1', 'w2']) utimesSync(join(root, d), old, old);
    const cache = new DirectoryCache();
    expect((await listTree(root, { cache })).listed).toBe(3);
    const again = await listTree(root, { cache });
    expect(again.listed).toBe(0);
    expect(again.files.sort()).toEqual(['w1/f1.tif', 'w2/f1.tif']);
    put(root, 'w2/f2.tif', 'x'); // updates w2's mtime
    const changed = await listTree(root, { cache });
    expect(changed.listed).toBe(1);
    expect(changed.files.sort()).toEqual(['w1/f1.tif', 'w2/f1.tif', 'w2/f2.tif']);
    // A folder changed within the trust window is always listed again.
    mkdirSync(join(root, 'w3'));
    expect((await listTree(root, { cache })).listed).toBeGreaterThanOrEqual(2);
  });
});

describe('forEachLimit', () => {
  it('runs every item with at most `limit` in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      seen.push(n);
      inFlight--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });
});
