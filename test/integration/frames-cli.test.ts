// `postfocus frames` as a real process on a real workspace.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliTestDir, runCli } from '../helpers/cli.js';
import { timingPath, writeTimingTree } from '../helpers/acquisition.js';


const tmp = cliTestDir('pf-frames-');

describe('postfocus frames', () => {
  it('lists every ingested frame as one JSON document, paths relative to the acquisition root', async () => {
    const acq = join(tmp.dir, 'acq');
    const ws = join(tmp.dir, 'ws');
    writeTimingTree(acq, 1, 2, 3);
    const ingest = await runCli(['ingest', acq, '--workspace', ws, '--json']);
    expect(ingest.code, ingest.stderr).toBe(0);
    const r = await runCli(['frames', ws, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { count: number; frames: Record<string, unknown>[] };
    expect(doc.count).toBe(6);
    expect(doc.frames).toHaveLength(6);
    expect(doc.frames[0]).toMatchObject({
      path: timingPath(1, 1, 1), page: 0, block: '1', well: 'imgNo001', position: 1, t: 1,
      state: 'pending', p_oof: null, oof: null, basis: null,
    });
    expect(doc.frames.map((f) => `${f.well}:${f.t}`)).toEqual(['imgNo001:1', 'imgNo001:2', 'imgNo001:3', 'imgNo002:1', 'imgNo002:2', 'imgNo002:3']);

    const human = await runCli(['frames', ws]);
    expect(human.stdout.split('\n')[1]).toMatch(/^1\t1\/imgNo001\tt1\tpending\t-\t-\t-\tB1\/images/);
    expect((await runCli(['frames', ws, '--run', '9'])).stderr).toMatch(/has no run 9/);
    expect((await runCli(['frames', join(tmp.dir, 'nowhere')])).stderr).toMatch(/no workspace at/);
  });
});
