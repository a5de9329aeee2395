/**
 * End to end, operator trust (issue 14, items 3, 5, 10–13): `postfocus serve
 * --no-pipeline` on a small reviewed workspace, Chromium at 1400×900 driving
 * the review app through the web shell. Bulk decisions take exactly the
 * previewed frames; the keyboard keeps working after clicks, undo follows the
 * last decision across auto-advance, Tab reaches the decision buttons before
 * the wells; the export panel stays live, refuses relative destinations and
 * offers merge in place; the page survives a server restart and reconnects.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkPreview, ExportPreview, FrameDetail, NanowellDetail, Overview } from '../../preload/api.js';
import { closeDb, openWorkspaceDb } from '../../main/store/database.js';
import { recordClassification, recordRestoration, startAttempts } from '../../main/store/queries/work.js';
import { writeTiff } from '../../main/imaging/tiff-write.js';
import { createTestWorkspace, frameKey, restoredPixels, type TestFrame, type TestWell } from '../helpers/export/workspace.js';
import { browserMissing, call, ensureRendererBuilt, outputPath, openFrameId as openFrameIdOf, openReviewPage, startServe, stop, until, type Served } from './helpers.js';

const missing = browserMissing();
if (missing) console.log(`skipping the operator end-to-end tests: ${missing}`);

/** 40 wells: the first two have restorations to review, the rest are in focus (a plate Tab must not walk). */
function wells(): TestWell[] {
  const out: TestWell[] = [
    { block: '1', well: 'imgNo1', frames: [...[1, 2, 3, 4].map((t): TestFrame => ({ t, kind: 'oof', restored: true })), { t: 5, kind: 'in_focus' }] },
    { block: '1', well: 'imgNo2', frames: [...[1, 2, 3].map((t): TestFrame => ({ t, kind: 'oof', restored: true })), { t: 4, kind: 'oof' }] },
  ];
  for (let i = 3; i <= 40; i++) out.push({ block: '2', well: `imgNo${i}`, frames: [1, 2].map((t) => ({ t, kind: 'in_focus' as const })) });
  return out;
}

/**
 * How long a key press may take to show its frame. These tests check what the keys do,
 * not how fast (bench:review measures that): the suite runs test files in parallel on two
 * cores, and 5 s was exceeded once in a clean-clone CI run.
 */
const NAVIGATION_MS = 30_000;

describe.skipIf(missing !== null)('operator trust (web shell, review only)', () => {
  let dir: string;
  let workspace: string;
  let frameIds: Map<string, number>;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const openFrameId = () => openFrameIdOf(page);
  const frame = (id: number) => call<FrameDetail>(served, 'getFrame', id);
  const toast = async () => (await page.locator('[data-testid="toast"]').textContent()) ?? '';

  /** Whether an element lies inside the window (and inside its scrolling side panel): seen without scrolling. */
  async function inView(selector: string): Promise<boolean> {
    return page.locator(selector).evaluate((el) => {
      const r = el.getBoundingClientRect();
      const innerHeight = el.ownerDocument.defaultView!.innerHeight;
      const side = el.closest('aside')?.getBoundingClientRect() ?? { top: 0, bottom: innerHeight };
      return r.height > 0 && r.top >= Math.max(0, side.top) - 1 && r.bottom <= Math.min(innerHeight, side.bottom) + 1;
    });
  }

  beforeAll(async () => {
    ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'pf-e2e-operator-'));
    const ws = createTestWorkspace(dir, { wells: wells() });
    workspace = ws.workspace;
    frameIds = ws.frameIds;
    closeDb(ws.db);
    served = await startServe(workspace, ['--no-pipeline']);
    ({ browser, page } = await openReviewPage(served, { reviewer: 'operator', well: 'B1-imgNo1', firstFrameId: frameIds.get(frameKey('1', 'imgNo1', 1)), pageErrors }));
  });

  afterAll(async () => {
    await browser?.close();
    if (served) await stop(served.child);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the review keys after a click on a checkbox; U after A (auto-advance) undoes that decision, naming t', async () => {
    const t1 = frameIds.get(frameKey('1', 'imgNo1', 1))!;
    const t2 = frameIds.get(frameKey('1', 'imgNo1', 2))!;
    // A click on a checkbox (the bulk rule's "only undecided"), twice to leave it as it was.
    const check = page.locator('[data-testid="bulk"] input[type="checkbox"]');
    await check.click();
    await check.click();
    // A key pressed while the first load is still settling can be overtaken by it (seen twice in
    // clean-clone CI runs with test files in parallel, never alone): press once t=1 has stayed open for 1 s.
    await until('t=1 to stay open for 1 s', async () => {
      if ((await openFrameId()) !== t1) return undefined;
      await new Promise((r) => setTimeout(r, 1000));
      return (await openFrameId()) === t1 || undefined;
    }, NAVIGATION_MS);
    await page.keyboard.press('ArrowRight');
    await until('ArrowRight to move to t=2', async () => (await openFrameId()) === t2 || undefined, NAVIGATION_MS);
    await page.keyboard.press('ArrowLeft');
    await until('ArrowLeft to move back to t=1', async () => (await openFrameId()) === t1 || undefined, NAVIGATION_MS);

    await page.keyboard.press('a');
    await until('the accept to reach the core', async () => (await frame(t1)).review === 'accepted' || undefined);
    await until('the review to advance to t=2', async () => (await openFrameId()) === t2 || undefined, NAVIGATION_MS);
    await page.keyboard.press('u');
    await until('the undo to reach the core', async () => (await frame(t1)).review === 'undecided' || undefined);
    await until('the message of the undo', async () => (await toast()).includes('undid') || undefined, NAVIGATION_MS);
    expect(await toast()).toBe('undid the last decision on t=1');
    expect(await toast()).not.toMatch(/frame \d/);
    // The undone frame is shown again, and t=2 was never decided.
    await until('the undone frame to open again', async () => (await openFrameId()) === t1 || undefined, NAVIGATION_MS);
    expect((await frame(t2)).decisions).toEqual([]);
  });

  it('Tab reaches the decision buttons without walking every well', async () => {
    await page.locator('[data-testid="well-search"]').focus();
    let presses = 0;
    for (; presses < 40; presses++) {
      await page.keyboard.press('Tab');
      if (await page.locator('[data-testid="accept"]').evaluate((el) => el === el.ownerDocument.activeElement)) break;
    }
    expect(presses, 'Tab presses from the well search to Accept').toBeLessThan(25);
    // The plate is one stop: only the selected well is in the tab order.
    expect(await page.locator('[data-well][tabindex="0"]').count()).toBe(1);
    await page.locator('body').click({ position: { x: 700, y: 5 } });
  });

  it('bulk accept decides the previewed frames only, even when a frame is restored between preview and confirmation', async () => {
    await page.locator('[data-testid="bulk-p"]').fill('0.5');
    await page.locator('[data-testid="bulk-spread"]').fill('0.05');
    const rule = { maxPOofAfter: 0.5, maxSpread: 0.05, undecidedOnly: true };
    const previewed = await call<BulkPreview>(served, 'previewBulk', rule);
    expect(previewed.count).toBe(7);
    await until('the preview count', async () => (await page.locator('[data-testid="bulk-count"]').textContent()) === '7' || undefined);
    await page.locator('[data-testid="bulk-apply"]').click();
    await expect(page.locator('[data-testid="bulk-confirm"]').textContent()).resolves.toMatch(/Accept 7 frames/);

    // Meanwhile the station restores B1-imgNo2 t=4 and re-classifies it in focus.
    const late = frameIds.get(frameKey('1', 'imgNo2', 4))!;
    writeTiff(join(workspace, `restored/${late}-mean.tif`), { width: 24, height: 20, data: restoredPixels(24, 20, 99) });
    writeTiff(join(workspace, `restored/${late}-spread.tif`), { width: 24, height: 20, data: new Float32Array(24 * 20).fill(0.01) });
    const db = openWorkspaceDb(workspace);
    try {
      const [a] = startAttempts(db, [late], 'restore');
      recordRestoration(db, {
        attemptId: a!, frameId: late, modelId: 'pf-ddpm-v1', modelSha256: 'dd9e', sampler: 'ddim', steps: 5, eta: 0, ensemble: 3,
        seeds: [1, 2, 3], meanPath: `restored/${late}-mean.tif`, spreadPath: `restored/${late}-spread.tif`, membersPath: null,
        spreadMean: 0.01, tenenbaumBefore: 1, tenenbaumAfter: 3, durationMs: 5,
      });
      const [b] = startAttempts(db, [late], 'reclassify');
      recordClassification(db, {
        attemptId: b!, frameId: late, target: 'restored', modelId: 'pf-classifier-v1', modelSha256: 'c1a55', pOof: 0.1, oof: false,
        metrics: { tenenbaum: 3, vollathF4: null, vollathF5: null, normalizedVariance: null, laplacianVariance: null },
      });
    } finally {
      closeDb(db);
    }
    expect((await call<BulkPreview>(served, 'previewBulk', rule)).count).toBe(8);

    await page.locator('[data-testid="bulk-confirm"]').click();
    await until('the bulk decisions', async () => (await toast()).includes('bulk rule accepted') || undefined);
    expect(await toast()).toBe('bulk rule accepted 7 restored frames');
    for (const id of previewed.frameIds) expect((await frame(id)).review, `previewed frame ${id}`).toBe('accepted');
    expect((await frame(late)).review, 'the frame restored after the preview').toBe('undecided');
  });

  it('keeps the export preview live, refuses a relative destination, offers merge in the panel, result in view', async () => {
    const preview = () => page.locator('[data-testid="export-preview"]').textContent();
    await until('the export preview', async () => ((await preview()) ?? '').includes('7 restorations') || undefined);
    // A decision (here from another client) reaches the preview without touching the panel.
    const late = frameIds.get(frameKey('1', 'imgNo2', 4))!;
    await call(served, 'decide', { frameIds: [late], verdict: 'accept', reviewer: 'other' });
    await until('the preview to follow the decision', async () => ((await preview()) ?? '').includes('8 restorations') || undefined, 10_000);
    const counts = await call<ExportPreview>(served, 'previewExport', { include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false });
    expect(counts.restored).toBe(8);

    const destination = page.locator('[data-testid="export-destination"]');
    await destination.fill('relative/out');
    await page.locator('[data-testid="export-start"]').click();
    await until('the refusal', async () => ((await page.locator('[data-testid="export-error"]').textContent()) ?? '').includes('absolute folder path') || undefined);
    expect(await inView('[data-testid="export-error"]')).toBe(true);

    const existing = join(dir, 'existing-folder');
    mkdirSync(existing);
    writeFileSync(join(existing, 'lab-notes.txt'), 'mine');
    await destination.fill(existing);
    await page.locator('[data-testid="export-start"]').click();
    await until('the "already exists" refusal', async () => ((await page.locator('[data-testid="export-error"]').textContent()) ?? '').includes('already exists') || undefined);
    expect(await page.locator('[data-testid="export-error"]').textContent()).not.toMatch(/--merge/);
    expect(await inView('[data-testid="export-merge"]')).toBe(true);
    await page.locator('[data-testid="export-merge"]').click();
    await until('the merged export', async () => ((await page.locator('[data-testid="export-result"]').textContent()) ?? '').includes('Wrote') || undefined, 30_000);
    expect(await inView('[data-testid="export-result"]')).toBe(true);
    expect(readdirSync(existing)).toEqual(expect.arrayContaining(['lab-notes.txt', 'manifest.json', 'export-files.json']));
    await page.screenshot({ path: outputPath('operator-export.png') });
  });

  it('reconnects after the server restarts (same address and token), without an uncaught error', async () => {
    const before = served.url;
    await stop(served.child);
    await page.locator('[data-testid="reconnect"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="reconnect"]').textContent()).toMatch(/postfocus serve/);
    // Moving around while the server is down says so, and throws nothing.
    await page.locator('body').click({ position: { x: 700, y: 880 } });
    await page.keyboard.press('ArrowDown');
    await until('the unreachable message', async () => (await toast()).includes('not reachable') || undefined, 10_000);
    await page.screenshot({ path: outputPath('operator-reconnect.png') });

    served = await startServe(workspace, ['--no-pipeline']);
    expect(served.url).toBe(before);
    await page.locator('[data-testid="reconnect"]').waitFor({ state: 'detached', timeout: 20_000 });
    await until('the link to be live', async () => ((await page.locator('[data-testid="status-bar"]').textContent()) ?? '').includes('live') || undefined);
    // The same tab decides on the restarted server.
    await page.locator('[data-well="B1-imgNo1"]').click();
    const t1 = frameIds.get(frameKey('1', 'imgNo1', 1))!;
    await until('t=1 to open', async () => (await openFrameId()) === t1 || undefined);
    const detail = await call<NanowellDetail>(served, 'getNanowell', (await frame(t1)).wellId);
    expect(detail.frames.length).toBe(5);
    await page.locator('body').click({ position: { x: 700, y: 5 } });
    await page.keyboard.press('r');
    await until('the decision on the restarted server', async () => (await frame(t1)).review === 'rejected' || undefined);
    expect(pageErrors).toEqual([]);
  });

  it('keeps the header height when the window narrows (queue texts never wrap)', async () => {
    const height = () => page.locator('header.top').evaluate((el) => el.getBoundingClientRect().height);
    const wide = await height();
    await page.setViewportSize({ width: 1100, height: 900 });
    expect(await height()).toBe(wide);
    await page.setViewportSize({ width: 1400, height: 900 });
    const overview = await call<Overview>(served, 'getOverview');
    expect(overview.wells).toHaveLength(40);
  });
});
