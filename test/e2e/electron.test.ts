/**
 * End to end through the Electron shell (Playwright's _electron): the window
 * shows the plate of a live acquisition, the preload exposes exactly the
 * StationApi, Node is not reachable from the page, navigation is refused.
 * Skipped (with the reason printed) where the Electron binary is not installed:
 * it is never downloaded by the tests.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATION_COMMANDS } from '../../preload/api.js';
import { ensureRendererBuilt, outputPath, ROOT, startSimulation, stop } from './helpers.js';

// The page-side names used inside page.evaluate (this file compiles for Node).
declare const window: { postfocus: object; require?: unknown; process?: unknown; location: { href: string }; open(url: string): unknown };

/** The Electron binary, found without require('electron') (which would download it). */
function electronBinary(): string | null {
  const pathFile = join(ROOT, 'node_modules/electron/path.txt');
  if (!existsSync(pathFile)) return null;
  const bin = join(ROOT, 'node_modules/electron/dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(bin) ? bin : null;
}

const binary = electronBinary();
if (!binary) console.log('skipping the Electron end-to-end test: the Electron binary is not installed (node_modules/electron/dist)');

describe.skipIf(binary === null)('Electron shell', () => {
  let app: ElectronApplication;
  let page: Page;
  let sim: ChildProcess;
  let dir: string | undefined;

  beforeAll(async () => {
    ensureRendererBuilt();
    dir = mkdtempSync(join(tmpdir(), 'pf-e2e-electron-'));
    const acq = join(dir, 'acquisition');
    sim = startSimulation(acq, join(dir, 'truth'), ['--blocks', '1', '--wells', '6', '--frames', '6', '--rate', '10', '--size', '96']);
    app = await _electron.launch({
      executablePath: binary!,
      args: [ROOT, '--workspace', join(dir, 'workspace'), '--acq', acq, '--no-pipeline', '--no-sandbox'],
      env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' },
    });
    page = await app.firstWindow();
  });

  afterAll(async () => {
    await app?.close();
    if (sim) await stop(sim, 'SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the live plate from the app:// origin', async () => {
    await page.locator('[data-well]').first().waitFor({ timeout: 60_000 });
    expect(page.url()).toMatch(/^app:\/\/postfocus\//);
    await page.screenshot({ path: outputPath('review-electron.png') });
  });

  it('exposes exactly the StationApi to the page, and no Node', async () => {
    const keys = await page.evaluate(() => Object.keys(window.postfocus).sort());
    expect(keys).toEqual([...STATION_COMMANDS, 'subscribe'].sort());
    expect(await page.evaluate(() => typeof window.require)).toBe('undefined');
    expect(await page.evaluate(() => typeof window.process)).toBe('undefined');
  });

  it('refuses navigation away from the app and new windows', async () => {
    await page.evaluate(() => {
      window.location.href = 'https://example.org/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/postfocus\//);
    await page.evaluate(() => window.open('https://example.org/'));
    await page.waitForTimeout(500);
    expect(app.windows()).toHaveLength(1);
  });
});
