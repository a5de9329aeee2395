import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkWorkspaceLocation, isSameOrInside, realPathOf, WorkspaceLocationError } from '../../../main/acquisition/location.js';
import { tempDir } from '../../helpers/workspace.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function tree(): string {
  const t = tempDir('pf-location-');
  cleanups.push(t.cleanup);
  mkdirSync(join(t.dir, 'acq', 'B1'), { recursive: true });
  return t.dir;
}

describe('checkWorkspaceLocation', () => {
  it('refuses a workspace equal to, inside or containing the acquisition, whether or not it exists yet', () => {
    const dir = tree();
    const acq = join(dir, 'acq');
    expect(() => checkWorkspaceLocation(acq, acq)).toThrow(/is the acquisition folder/);
    expect(() => checkWorkspaceLocation(join(acq, 'B1', 'ws'), acq)).toThrow(/is inside the acquisition folder/);
    expect(() => checkWorkspaceLocation(join(acq, 'not', 'yet'), acq)).toThrow(WorkspaceLocationError);
    expect(() => checkWorkspaceLocation(dir, acq)).toThrow(/contains the acquisition folder/);
    expect(() => checkWorkspaceLocation(join(dir, 'ws'), acq)).not.toThrow();
    // A sibling whose name starts with the acquisition's is not inside it.
    expect(() => checkWorkspaceLocation(join(dir, 'acq-ws'), acq)).not.toThrow();
  });

  it('sees through symbolic links and `..`', () => {
    const dir = tree();
    const acq = join(dir, 'acq');
    symlinkSync(acq, join(dir, 'link-to-acq'));
    expect(() => checkWorkspaceLocation(join(dir, 'link-to-acq', 'ws'), acq)).toThrow(/is inside the acquisition folder/);
    expect(() => checkWorkspaceLocation(join(dir, 'ws', '..', 'acq'), acq)).toThrow(/is the acquisition folder/);
    expect(realPathOf(join(dir, 'link-to-acq', 'missing'))).toBe(join(realPathOf(acq), 'missing'));
    expect(isSameOrInside(join(acq, 'x'), acq)).toBe(true);
    expect(isSameOrInside(`${acq}x`, acq)).toBe(false);
  });
});

describe('checkAcquisitionTarget', () => {
  it('refuses writing an acquisition inside a workspace (a folder holding postfocus.sqlite, at any depth above)', async () => {
    const { writeFileSync } = await import('node:fs');
    const { checkAcquisitionTarget, enclosingWorkspace } = await import('../../../main/acquisition/location.js');
    const dir = tree();
    mkdirSync(join(dir, 'ws', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'ws', 'postfocus.sqlite'), '');
    expect(enclosingWorkspace(join(dir, 'ws', 'sub', 'acq'))).toBe(realPathOf(join(dir, 'ws')));
    expect(() => checkAcquisitionTarget(join(dir, 'ws', 'sub', 'acq'))).toThrow(/is inside the workspace .*ws; write the acquisition outside every workspace/);
    expect(() => checkAcquisitionTarget(join(dir, 'ws'))).toThrow(WorkspaceLocationError);
    expect(() => checkAcquisitionTarget(join(dir, 'acq2'))).not.toThrow();
  });
});
