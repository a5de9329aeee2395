import { spawnSync } from 'node:child_process';
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
  it('lists links leaving the root, links to folders, dangling links and FIFOs as ignored with the reason, never as files', async () => {
    const root = tree();
    const outside = tree();
    put(outside, 'frame.tif', 'x');
    put(root, 'w/one.tif', 'x');
    symlinkSync(join(outside, 'frame.tif'), join(root, 'w/out.tif'));
    symlinkSync('/etc/passwd', join(root, 'w/passwd.tif'));
    symlinkSync(join(root, 'w'), join(root, 'w-link'));
    symlinkSync(join(root, 'nothing.tif'), join(root, 'w/dangling.tif'));
    symlinkSync(join(root, 'w/one.tif'), join(root, 'w/inside.tif'));
    expect(spawnSync('mkfifo', [join(root, 'w/pipe.tif')]).status).toBe(0);
    const listing = await listTree(root, { cache: new DirectoryCache() });
    expect(listing.files.sort()).toEqual(['w/inside.tif', 'w/one.tif']);
    const reasons = Object.fromEntries(listing.ignored.map((x) => [x.path, x.reason]));
    expect(reasons['w/out.tif']).toMatch(/^symbolic link to .*frame\.tif, outside the acquisition folder$/);
    expect(reasons['w/passwd.tif']).toBe('symbolic link to /etc/passwd, outside the acquisition folder');
    expect(reasons['w-link']).toBe('symbolic link to a folder (links to folders are not followed)');
    expect(reasons['w/dangling.tif']).toBe('dangling symbolic link (its target does not exist)');
    expect(reasons['w/pipe.tif']).toBe('named pipe (FIFO), not a regular file');
    expect(listing.ignored).toHaveLength(5);
    expect(listing.dirs).toEqual(['w']);
  });

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
