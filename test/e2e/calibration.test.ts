/**
 * End to end, calibration in the review app (issue 12): `postfocus serve
 * --no-pipeline` on a workspace whose domain guard tripped; Chromium drives the
 * app through the web shell. The status bar and the focus panel say that
 * restoration is held; I / O label frames (ground truth, not decisions);
 * "Calibrate" fits on them and the calibration is in force after a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FocusStatus } from '../../preload/api.js';
import { closeDb } from '../../main/store/database.js';
import { setGuardState } from '../../main/store/queries/calibration.js';
import { createTestWorkspace, frameKey, type TestWell } from '../helpers/export/workspace.js';
import { browserMissing, call, ensureRendererBuilt, openFrameId as openFrameIdOf, openReviewPage, startServe, stop, until, type Served } from './helpers.js';

const missing = browserMissing();
if (missing) console.log(`skipping the calibration end-to-end test: ${missing}`);

const wells: TestWell[] = [
  { block: '1', well: 'imgNo1', frames: [1, 2, 3, 4, 5, 6, 7, 8].map((t) => ({ t, kind: t % 2 ? ('oof' as const) : ('in_focus' as const) })) },
];

describe.skipIf(missing !== null)('calibration in the review app (web shell)', () => {
  let dir: string;
  let workspace: string;
  let frameIds: Map<string, number>;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const openFrameId = () => openFrameIdOf(page);

  beforeAll(async () => {
    ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'pf-e2e-calibration-'));
    const ws = createTestWorkspace(dir, { wells });
    workspace = ws.workspace;
    frameIds = ws.frameIds;
    // The guard tripped on this run (the CLI test trips it for real on bright-field frames).
    setGuardState(ws.db, 1, 'tripped', 8, 4, '4 of the first 8 frames judged out of focus (test)');
    closeDb(ws.db);
    served = await startServe(workspace, ['--no-pipeline']);
    ({ browser, page } = await openReviewPage(served, { reviewer: 'operator', well: 'B1-imgNo1', firstFrameId: frameIds.get(frameKey('1', 'imgNo1', 1)), pageErrors }));
  });

  afterAll(async () => {
    await browser?.close();
    if (served) await stop(served.child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the held restoration, labels frames with I / O, calibrates, and keeps the calibration after a restart', async () => {
    await expect(page.locator('[data-testid="guard-status"]').textContent()).resolves.toMatch(/domain guard: restoration held on run 1/);
    await expect(page.locator('[data-testid="calibration-summary"]').textContent()).resolves.toBe('not calibrated');
    await expect(page.locator('[data-testid="focus-status"]').textContent()).resolves.toBe('not calibrated');

    // t odd are out of focus, t even in focus: label all 8 from the keyboard.
    for (let t = 1; t <= 8; t++) {
      await until(`frame t=${t} on screen`, async () => (await openFrameId()) === frameIds.get(frameKey('1', 'imgNo1', t)) || undefined);
      await page.keyboard.press(t % 2 ? 'o' : 'i');
      await until(`label of t=${t}`, async () =>
        ((await page.locator('[data-testid="frame-focus-label"]').textContent()) ?? '') === (t % 2 ? 'out of focus' : 'in focus') || undefined,
      );
      if (t < 8) await page.keyboard.press('ArrowRight');
    }
    await expect(page.locator('[data-testid="focus-labels"]').textContent()).resolves.toBe('4 in focus, 4 out of focus');
    // Labels are not review decisions.
    const frame = await call<{ decisions: unknown[] }>(served, 'getFrame', frameIds.get(frameKey('1', 'imgNo1', 1)));
    expect(frame.decisions).toEqual([]);

    await page.locator('[data-testid="calibrate"]').click();
    await until('the calibration summary', async () =>
      /^calibrated on 8 labels, cross-validated accuracy \d\.\d\d(; no better than the uncalibrated judgement on these labels, which stays in force)?$/.test((await page.locator('[data-testid="calibration-summary"]').textContent()) ?? '') || undefined,
    );
    await until('the guard to release', async () => (await page.locator('[data-testid="guard-status"]').count()) === 0 || undefined);
    expect(pageErrors).toEqual([]);

    // Restart the server: the calibration is read back from the workspace.
    await stop(served.child);
    served = await startServe(workspace, ['--no-pipeline']);
    const status = await call<FocusStatus>(served, 'getFocusStatus');
    expect(status).toMatchObject({ calibrated: true, calibration: { who: 'operator', inFocus: 4, oof: 4, source: 'app labels' }, restorationHeld: false });
    expect(status.guards).toMatchObject([{ runId: 1, state: 'released' }]);
  });
});
