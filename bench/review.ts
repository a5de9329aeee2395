/**
 * Review app benchmark (not a test): `node scripts/build.mjs && node dist/bench/review.js`.
 * Everything runs through the web shell (`postfocus serve`) and Chromium.
 *
 * 1. Decision latency: a keypress (A / U) in the review app → the decision row
 *    in SQLite (seen by a separate read-only connection) → the UI updated (the
 *    filmstrip cell's data-review changed). Median and p90 over N decisions, on a
 *    live-processed acquisition (virtual microscope, trained models when present).
 *    Reference: a bare API round trip (getProgress) measured in the same run.
 * 2. Grid update at 2,700 wells: a workspace holding a 75 × 36-well run of
 *    73 time points (197,100 frame rows written through the store's own insert
 *    functions, classification rows labelled `bench-scale-fixture`; a scale
 *    fixture whose pixels do not exist), plus a live acquisition written by the
 *    virtual microscope at 10 frames/s that the station ingests (pipeline off:
 *    it would try to process the fixture rows). Time from each `wells-updated` event to the
 *    next painted frame in the renderer (window.__postfocusPerf). Reference: the
 *    same measure on the 24-well plate of part 1.
 *
 * Options: --decisions <n> (default 20), --seconds <s> (live phase of part 2, default 25).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import type { NanowellDetail, Overview } from '../preload/api.js';
import { closeDb, openWorkspaceDb } from '../main/store/database.js';
import { insertFrames, type NewFrame } from '../main/store/queries/frames.js';
import { latestDecisionId } from '../main/store/queries/review.js';
import { createRun } from '../main/store/queries/runs.js';
import { recordClassification, startAttempts } from '../main/store/queries/work.js';

// The few DOM names used inside page.evaluate (this file compiles for Node).
declare const document: { querySelector(selector: string): { getAttribute(name: string): string | null } | null; body: object };
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: object, options: object): void;
  disconnect(): void;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = '/usr/bin/chromium';
const argv = process.argv.slice(2);
const opt = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const DECISIONS = opt('decisions', 20);
const LIVE_SECONDS = opt('seconds', 25);
const children = new Set<ChildProcess>();

function log(message: string): void {
  process.stderr.write(`[bench:review] ${message}\n`);
}

function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))]!;
}

function newest(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    n = Math.max(n, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return n;
}

function ensureRenderer(): void {
  const index = join(ROOT, 'dist/renderer/index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newest(join(ROOT, 'renderer'))) return;
  log('building the renderer…');
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (r.status !== 0) throw new Error('renderer build failed');
}

function cli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [join(ROOT, 'bin/postfocus.js'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stderr!.resume();
  return child;
}

async function serve(workspace: string, args: string[]): Promise<{ child: ChildProcess; url: string; origin: string; token: string }> {
  const child = cli(['serve', workspace, '--json', ...args]);
  const line = await new Promise<string>((ok, fail) => {
    child.once('exit', (code) => fail(new Error(`serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', ok);
  });
  const { url } = JSON.parse(line) as { url: string };
  const u = new URL(url);
  return { child, url, origin: u.origin, token: u.searchParams.get('token')! };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((done) => {
    child.once('exit', () => done());
    child.kill(signal);
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  });
}

async function api<T>(s: { origin: string; token: string }, command: string, payload?: unknown): Promise<T> {
  const res = await fetch(`${s.origin}/api/${command}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PostFocus-Token': s.token },
    body: payload === undefined ? '' : JSON.stringify(payload),
  });
  const body = (await res.json()) as { ok: boolean; result: T; error?: string };
  if (!body.ok) throw new Error(`${command}: ${body.error}`);
  return body.result;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function paintTimes(page: Page): Promise<{ ms: number; wells: number }[]> {
  return page.evaluate(() => {
    const perf = (globalThis as unknown as { __postfocusPerf?: { wellsUpdates: { ms: number; wells: number }[] } }).__postfocusPerf;
    return perf ? perf.wellsUpdates.splice(0) : [];
  });
}

// POSTFOCUS_MODELS_DIR: another trained model set; the fixture models cannot flag the microscope's defocus.
const modelsDir = process.env.POSTFOCUS_MODELS_DIR ? resolve(process.env.POSTFOCUS_MODELS_DIR) : join(ROOT, 'models');
const SERVE_PIPELINE = ['--models', modelsDir, '--restore-steps', '5', '--ensemble', '3'];

/** Part 1: keypress → SQLite → UI, on a live-processed 24-well acquisition. */
async function decisionLatency(dir: string, page: Page) {
  const acq = join(dir, 'acq1');
  const workspace = join(dir, 'ws1');
  const sim = cli(['simulate', acq, '--truth', join(dir, 'truth1'), '--blocks', '2', '--wells', '12', '--frames', '16', '--preset', 'skov3', '--seed', '3', '--size', '96']);
  const s = await serve(workspace, ['--acq', acq, ...SERVE_PIPELINE]);
  try {
    log('part 1: waiting for restorations to review…');
    // A restored frame early in its video, so its filmstrip cell is on screen.
    const { detail, frame } = await until(
      'a restored frame to review',
      async () => {
        for (const w of (await api<Overview>(s, 'getOverview')).wells.filter((x) => x.restored > 0)) {
          const d = await api<NanowellDetail>(s, 'getNanowell', w.id);
          const f = d.frames.find((x) => x.state === 'restored' && x.t <= 8);
          if (f) return { detail: d, frame: f };
        }
        return undefined;
      },
      240_000,
    );
    const label = detail.well.label;
    await page.goto(s.url);
    await page.locator('[data-testid="reviewer"]').fill('bench');
    await page.locator(`[data-well="${label}"]`).click();
    const reader = openWorkspaceDb(workspace, { readonly: true });
    const toDb: number[] = [];
    const toUi: number[] = [];
    const rtt: number[] = [];
    try {
      for (let i = 0; i < DECISIONS; i++) {
        const key = i % 2 === 0 ? 'a' : 'u';
        const expected = key === 'a' ? 'accepted' : 'undecided';
        await page.locator(`[data-frame="${frame.id}"]`).click();
        await page.locator('[data-testid="frame-state"]').waitFor();
        await page.locator('body').click({ position: { x: 5, y: 5 } });
        const before = latestDecisionId(reader);
        // The page reports (in this machine's clock) when the filmstrip shows the new review state.
        const uiSeen = page.evaluate(
          ({ id, state }) =>
            new Promise<number>((done) => {
              const check = () => document.querySelector(`[data-frame="${id}"]`)?.getAttribute('data-review') === state;
              const obs = new MutationObserver(() => {
                if (check()) {
                  obs.disconnect();
                  done(Date.now());
                }
              });
              obs.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-review'], childList: true });
            }),
          { id: frame.id, state: expected },
        );
        const t0 = Date.now();
        await page.keyboard.press(key);
        let tDb = 0;
        while (latestDecisionId(reader) === before) {
          if (Date.now() - t0 > 10_000) throw new Error('decision did not reach SQLite within 10 s');
          await new Promise((r) => setImmediate(r));
        }
        tDb = Date.now();
        const tUi = await uiSeen;
        toDb.push(tDb - t0);
        toUi.push(tUi - t0);
        const r0 = performance.now();
        await api(s, 'getProgress');
        rtt.push(performance.now() - r0);
      }
    } finally {
      closeDb(reader);
    }
    const paints = await paintTimes(page);
    return {
      decisions: DECISIONS,
      keypressToSqliteMs: { median: percentile(toDb, 0.5), p90: percentile(toDb, 0.9) },
      keypressToUiMs: { median: percentile(toUi, 0.5), p90: percentile(toUi, 0.9) },
      apiRoundTripMs: { median: percentile(rtt, 0.5) },
      wells: (await api<Overview>(s, 'getOverview')).wells.length,
      gridPaintMs: { median: percentile(paints.map((p) => p.ms), 0.5), p90: percentile(paints.map((p) => p.ms), 0.9), samples: paints.length },
    };
  } finally {
    await stopChild(s.child);
    await stopChild(sim, 'SIGTERM');
  }
}

/** The 2,700-well scale fixture: rows written through the store's insert functions. */
function writeScaleRun(workspace: string, root: string): number {
  const db = openWorkspaceDb(workspace);
  try {
    mkdirSync(root, { recursive: true });
    const run = createRun(db, { root, layout: 'timing' });
    let frames = 0;
    for (let b = 1; b <= 75; b++) {
      const batch: NewFrame[] = [];
      for (let w = 1; w <= 36; w++) {
        const well = String(w).padStart(3, '0');
        for (let t = 1; t <= 73; t++) {
          batch.push({
            runId: run.id, block: String(b), well, t, channel: '0',
            path: `B${b}/images/crops_8bit_s/${well}CH0/imgNo${w}CH0_t${t}.tif`,
            page: 0, width: 281, height: 281, bits: 8, size: 79_000, mtimeMs: 0,
          });
        }
      }
      const ids = insertFrames(db, batch).map((o) => o.frameId);
      frames += ids.length;
      // Classify 9 of 10 blocks so the plate shows heat colours; a fixed pattern marks ~4% OOF.
      if (b % 10 !== 0) {
        const attempts = startAttempts(db, ids, 'classify');
        db.transaction(() => {
          ids.forEach((frameId, i) => {
            const oof = (frameId * 2654435761) % 97 < 4;
            recordClassification(db, {
              attemptId: attempts[i]!, frameId, target: 'original', modelId: 'bench-scale-fixture', modelSha256: '0'.repeat(64),
              pOof: oof ? 0.9 : 0.05, oof,
              metrics: { tenenbaum: null, vollathF4: null, vollathF5: null, normalizedVariance: null, laplacianVariance: null },
            });
          });
        })();
      }
    }
    return frames;
  } finally {
    closeDb(db);
  }
}

/** Part 2: grid updates with 2,700+ wells while 10 frames/s arrive. */
async function gridAtScale(dir: string, page: Page) {
  const workspace = join(dir, 'ws2');
  log('part 2: writing the 2,700-well scale fixture…');
  const t0 = performance.now();
  const rows = writeScaleRun(workspace, join(dir, 'scale-run-root'));
  log(`  ${rows} frame rows in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const acq = join(dir, 'acq2');
  // Ingest only: the scale rows have no pixels for the pipeline to work on; the
  // live frames still produce a wells-updated stream (coalesced to ≤ 4/s).
  const s = await serve(workspace, ['--acq', acq, '--no-pipeline']);
  try {
    const l0 = performance.now();
    await page.goto(s.url);
    await page.locator('[data-well]').first().waitFor({ timeout: 120_000 });
    const firstPaint = performance.now() - l0;
    const o0 = performance.now();
    const overview = await api<Overview>(s, 'getOverview');
    const overviewMs = performance.now() - o0;
    const domCells = await page.locator('[data-well]').count();
    await paintTimes(page);
    log(`  plate of ${overview.wells.length} wells painted in ${firstPaint.toFixed(0)} ms; live acquisition at 10 frames/s for ${LIVE_SECONDS} s…`);
    const sim = cli(['simulate', acq, '--truth', join(dir, 'truth2'), '--blocks', '1', '--wells', '12', '--frames', String(Math.ceil(LIVE_SECONDS)), '--rate', '10', '--size', '96', '--seed', '5']);
    // Scroll the plate while updates land, like an operator browsing.
    const end = Date.now() + LIVE_SECONDS * 1000;
    while (Date.now() < end) {
      await page.locator('[data-testid="plate-grid"]').evaluate((el) => (el.scrollTop = (el.scrollTop + 400) % el.scrollHeight));
      await new Promise((r) => setTimeout(r, 500));
    }
    await stopChild(sim, 'SIGTERM');
    const paints = await paintTimes(page);
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    await page.locator('[data-testid="plate-grid"]').evaluate((el) => (el.scrollTop = 0));
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(ROOT, 'test-output', 'review-2700-wells.png') });
    const after = await api<Overview>(s, 'getOverview');
    return {
      wells: after.wells.length,
      frames: after.totals.frames,
      domCellsRendered: domCells,
      overviewMs,
      firstPaintMs: firstPaint,
      updates: paints.length,
      wellsPerUpdate: { median: percentile(paints.map((p) => p.wells), 0.5) },
      updatesPerSecond: paints.length / LIVE_SECONDS,
      updatePaintMs: { median: percentile(paints.map((p) => p.ms), 0.5), p90: percentile(paints.map((p) => p.ms), 0.9), max: Math.max(...paints.map((p) => p.ms)) },
    };
  } finally {
    await stopChild(s.child);
  }
}

async function main(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    console.log(JSON.stringify({ skipped: `${CHROMIUM} is not installed` }));
    return;
  }
  ensureRenderer();
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-review-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1600, height: 960 } });
    const grid = await gridAtScale(dir, page);
    log(
      `grid at ${grid.wells} wells (${grid.domCellsRendered} cells in the DOM): update→paint ${grid.updatePaintMs.median.toFixed(1)} ms median, ` +
        `${grid.updatePaintMs.p90.toFixed(1)} ms p90, max ${grid.updatePaintMs.max.toFixed(1)} ms; ${grid.updatesPerSecond.toFixed(1)} updates/s; ` +
        `overview ${grid.overviewMs.toFixed(0)} ms, first paint ${grid.firstPaintMs.toFixed(0)} ms`,
    );
    let decisions: Awaited<ReturnType<typeof decisionLatency>> | { error: string };
    try {
      decisions = await decisionLatency(dir, page);
      log(
        `decision: keypress→SQLite ${decisions.keypressToSqliteMs.median} ms, keypress→UI ${decisions.keypressToUiMs.median} ms ` +
          `(median of ${decisions.decisions}; API round trip ${decisions.apiRoundTripMs.median.toFixed(1)} ms)`,
      );
    } catch (err) {
      decisions = { error: err instanceof Error ? err.message : String(err) };
      log(`decision latency not measured: ${decisions.error}`);
    }
    const ratios =
      'error' in decisions
        ? null
        : {
            keypressToUiVsApiRoundTrip: decisions.keypressToUiMs.median / decisions.apiRoundTripMs.median,
            gridPaint2700VsSmallPlate: grid.updatePaintMs.median / decisions.gridPaintMs.median,
          };
    console.log(JSON.stringify({ models: modelsDir, grid, decision: decisions, ratios }, null, 2));
  } finally {
    await browser.close();
    for (const c of [...children]) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
