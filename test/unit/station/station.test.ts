import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StationEvent } from '../../../preload/api.js';
import { Station } from '../../../main/station/station.js';
import { openStation } from '../../../main/station/open.js';
import { processedWorkspace } from './fixture.js';

let station: Station;
let workspace: string;
const events: StationEvent[] = [];

beforeAll(async () => {
  ({ workspace } = await processedWorkspace('station', { wells: 2, T: 6 }));
  station = await openStation({ workspace, noPipeline: 'no models in this test' });
  station.subscribe((e) => events.push(e));
  await station.start();
});
afterAll(() => station.close());

function restoredFrameId(): Promise<number> {
  return station.getOverview().then(async (o) => {
    for (const w of o.wells) {
      const d = await station.getNanowell(w.id);
      const f = d.frames.find((x) => x.state === 'restored');
      if (f) return f.id;
    }
    throw new Error('fixture has no restored frame');
  });
}

describe('Station without a pipeline', () => {
  it('says why nothing is classified in the engine status, and refuses to pause', async () => {
    const engine = await station.getEngineStatus();
    expect(engine.disabledReason).toBe('no models in this test');
    expect(engine.provider).toBeNull();
    await expect(station.setPaused({ paused: true })).rejects.toThrow(/cannot pause: no models in this test/);
  });

  it('answers the overview from the workspace', async () => {
    const o = await station.getOverview();
    expect(o.workspace).toBe(workspace);
    expect(o.runs).toHaveLength(1);
    expect(o.totals.frames).toBe(12);
    expect(o.usability).toEqual({ maxOofFraction: 0.05, maxConsecutiveOof: 2 });
  });

  it('records a decision and streams it with the changed well summary', async () => {
    const frameId = await restoredFrameId();
    events.length = 0;
    const { decisionIds } = await station.decide({ frameIds: [frameId], verdict: 'reject', reviewer: 'dana' });
    expect(decisionIds).toHaveLength(1);
    expect(events.find((e) => e.type === 'decision')).toEqual({ type: 'decision', frameIds: [frameId], verdict: 'reject', reviewer: 'dana' });
    const update = events.find((e) => e.type === 'wells-updated');
    expect(update && update.type === 'wells-updated' && update.wells[0]!.rejected).toBe(1);
    const undone = await station.undo({ frameIds: [frameId], reviewer: 'dana' });
    expect(undone.decisionIds).toHaveLength(1);
    expect((await station.getFrame(frameId)).review).toBe('undecided');
  });

  it('serves original, restored, spread and member images as PNG and caches thumbnails in the workspace', async () => {
    const frameId = await restoredFrameId();
    for (const request of [
      { frameId, kind: 'original' as const },
      { frameId, kind: 'restored' as const },
      { frameId, kind: 'spread' as const },
      { frameId, kind: 'member' as const, member: 2 },
    ]) {
      const img = await station.getImage(request);
      const png = PNG.sync.read(Buffer.from(img.base64, 'base64'));
      expect([png.width, png.height], request.kind).toEqual([40, 40]);
      expect(img.window!.high).toBeGreaterThan(img.window!.low);
    }
    const thumb = await station.getImage({ frameId, kind: 'original', maxSize: 16 });
    expect([thumb.width, thumb.height]).toEqual([16, 16]);
    const again = await station.getImage({ frameId, kind: 'original', maxSize: 16 });
    expect(again.base64).toBe(thumb.base64);
    const cached = readdirSync(join(workspace, 'thumbs'), { recursive: true }).map(String);
    expect(cached.some((p) => p.endsWith(`${frameId}-original-16-o.png`))).toBe(true);
    await expect(station.getImage({ frameId, kind: 'member', member: 7 })).rejects.toThrow(/has 3 ensemble members/);
  });

  it('refuses images of frames that were never restored, naming the frame', async () => {
    const o = await station.getOverview();
    const d = await station.getNanowell(o.wells[0]!.id);
    const inFocus = d.frames.find((f) => f.state === 'in_focus')!;
    await expect(station.getImage({ frameId: inFocus.id, kind: 'restored' })).rejects.toThrow(
      new RegExp(`frame ${inFocus.id} has no restoration yet`),
    );
  });

  it('previews an export without writing anything', async () => {
    const preview = await station.previewExport({ include: 'curated', layout: 'mirror', omeStacks: false, trainingPack: false });
    expect(preview.originals + preview.restored + preview.excluded).toBe(12);
  });

  it('answers "export not available" without an export service, and closes idempotently', async () => {
    const bare = new Station({ workspace, pipeline: 'off' });
    await expect(bare.startExport({ destination: '/tmp/x', policy: { include: 'curated', layout: 'mirror', omeStacks: false, trainingPack: false } })).rejects.toThrow(
      'export not available',
    );
    await bare.close();
    await bare.close();
    await expect(bare.getOverview()).rejects.toThrow(/closed/);
    expect(existsSync(join(workspace, 'postfocus.sqlite'))).toBe(true);
  });
});

describe('Two stations on one workspace', () => {
  it('lets only the first watch and process; the second reviews and says why', async () => {
    const acquisition = { start: async () => undefined, stop: async () => undefined };
    const first = new Station({ workspace, pipeline: 'no models in this test', acquisition: () => acquisition });
    const second = new Station({ workspace, pipeline: 'no models in this test', acquisition: () => acquisition });
    try {
      expect((await first.getEngineStatus()).acquiring).toBe(true);
      const engine = await second.getEngineStatus();
      expect(engine.acquiring).toBe(false);
      expect(engine.disabledReason).toMatch(/in use by another PostFocus station \(pid \d+ .*review and export/);
      expect((await second.getOverview()).totals.frames).toBe(12);
    } finally {
      await second.close();
      await first.close();
    }
    const third = new Station({ workspace, pipeline: 'no models in this test', acquisition: () => acquisition });
    expect((await third.getEngineStatus()).acquiring).toBe(true);
    await third.close();
    expect(existsSync(join(workspace, 'postfocus.lock'))).toBe(false);
  });
});
