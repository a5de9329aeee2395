/**
 * Helpers of the end-to-end tests: the real CLI (`postfocus simulate`, `postfocus
 * serve`) as child processes, Chromium through playwright-core, and the
 * renderer bundle built by Vite when stale.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureRendererBuilt as buildRendererIfStale } from '../../scripts/build.mjs';

export const ROOT = resolve('.');
export const CHROMIUM = '/usr/bin/chromium';
export const OUTPUT = join(ROOT, 'test-output');
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
];

/** Why the browser tests cannot run here, or null. */
export function browserMissing(): string | null {
  return existsSync(CHROMIUM) ? null : `${CHROMIUM} is not installed (apt-get install -y chromium)`;
}

/**
 * The trained models, or why they cannot be used: the review tests need a
 * classifier that flags the virtual microscope's defocus and a restorer (the
 * fixture models cannot tell those frames apart).
 */
export function trainedModels(): { dir: string; problem: string | null } {
  // POSTFOCUS_MODELS_DIR: another trained model set (e.g. a candidate being evaluated).
  const dir = process.env.POSTFOCUS_MODELS_DIR ? resolve(process.env.POSTFOCUS_MODELS_DIR) : join(ROOT, 'models');
  const manifestFile = join(dir, 'manifest.json');
  if (!existsSync(manifestFile)) return { dir, problem: `${manifestFile} is missing (train the models first)` };
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { models: { id: string; file: string; sha256: string }[] };
  for (const m of manifest.models) {
    const file = join(dir, m.file);
    if (!existsSync(file)) return { dir, problem: `${file} (${m.id}) is missing` };
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (sha !== m.sha256) return { dir, problem: `${file} does not match its sha256 in the manifest (the app refuses it)` };
  }
  return { dir, problem: null };
}

/** Builds dist/renderer with Vite when a renderer source is newer than the bundle. */
export function ensureRendererBuilt(): void {
  buildRendererIfStale({ quiet: true });
}

export function outputPath(name: string): string {
  mkdirSync(OUTPUT, { recursive: true });
  return join(OUTPUT, name);
}

export interface Served {
  child: ChildProcess;
  url: string;
  origin: string;
  token: string;
  stderr: string[];
}

/** Starts `postfocus serve` and resolves with its URL (from --json). */
export function startServe(workspace: string, args: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/postfocus.js'), 'serve', workspace, '--json', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (l) => stderr.push(l));
  return new Promise((resolvePromise, reject) => {
    child.once('exit', (code) => reject(new Error(`postfocus serve exited (${code}) before printing its URL:\n${stderr.join('\n')}`)));
    createInterface({ input: child.stdout! }).once('line', (line) => {
      const { url } = JSON.parse(line) as { url: string };
      const u = new URL(url);
      resolvePromise({ child, url, origin: u.origin, token: u.searchParams.get('token')!, stderr });
    });
  });
}

/** Stops a child with SIGINT (graceful) and waits for it. */
export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      done(code);
    });
    child.kill(signal);
  });
}

/** Starts the virtual microscope writing live. */
export function startSimulation(acq: string, truth: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [join(ROOT, 'bin/postfocus.js'), 'simulate', acq, '--truth', truth, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Calls a StationApi command through the web shell, as the renderer does. */
export async function call<T>(served: Served, command: string, payload?: unknown): Promise<T> {
  const res = await fetch(`${served.origin}/api/${command}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PostFocus-Token': served.token },
    body: payload === undefined ? '' : JSON.stringify(payload),
  });
  const body = (await res.json()) as { ok: boolean; result: T; error?: string };
  if (!body.ok) throw new Error(`${command}: ${body.error}`);
  return body.result;
}

/** Polls until `check` returns a value (not undefined/false) or the time runs out. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The id of the frame on screen in the compare view, or undefined while none is open. */
export async function openFrameId(page: Page): Promise<number | undefined> {
  const v = await page.locator('[data-testid="compare"]').getAttribute('data-frame-id');
  return v ? Number(v) : undefined;
}

/**
 * Opens the review app of a served workspace in Chromium at 1400×900 as `reviewer`,
 * selects nanowell `well` (its data-well key, e.g. "B1-imgNo1") and waits for
 * `firstFrameId` on screen. Page errors are appended to `pageErrors`.
 */
export async function openReviewPage(
  served: Served,
  opts: { reviewer: string; well: string; firstFrameId: number | undefined; pageErrors: string[] },
): Promise<{ browser: Browser; page: Page }> {
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => opts.pageErrors.push(e.message));
  await page.goto(served.url);
  await page.locator('[data-well]').first().waitFor();
  await page.locator('[data-testid="reviewer"]').fill(opts.reviewer);
  await page.locator(`[data-well="${opts.well}"]`).click();
  await until('the first frame to open', async () => (await openFrameId(page)) === opts.firstFrameId || undefined);
  return { browser, page };
}
