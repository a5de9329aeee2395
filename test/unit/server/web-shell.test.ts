import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { StationEvent } from '../../../preload/api.js';
import {
  isLoopbackHost,
  loadServeIdentity,
  newToken,
  saveServeIdentity,
  SERVE_IDENTITY_FILE,
  startWebShell,
  type WebShell,
} from '../../../main/server/web-shell.js';
import { openStation } from '../../../main/station/open.js';
import type { Station } from '../../../main/station/station.js';
import { processedWorkspace } from '../station/fixture.js';
import { tempDir } from '../../integration/pipeline-helpers.js';

let station: Station;
let shell: WebShell;
let base: string;

beforeAll(async () => {
  const { workspace } = await processedWorkspace('web-shell', { wells: 2, T: 4 });
  station = await openStation({ workspace, noPipeline: 'test' });
  const rendererDir = tempDir('renderer');
  mkdirSync(join(rendererDir, 'assets'));
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  shell = await startWebShell({ api: station, rendererDir, port: 0 });
  base = `http://127.0.0.1:${shell.port}`;
});
afterAll(async () => {
  await shell.close();
  await station.close();
});

function api(command: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}/api/${command}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-PostFocus-Token': shell.token, ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  });
}

/** A raw request with a chosen Host header (fetch does not allow setting it). */
function rawGet(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: shell.port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web shell', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(shell.url).toBe(`${base}/?token=${shell.token}`);
    expect(shell.token.length).toBeGreaterThanOrEqual(32);
  });

  it('serves the page with the token, sets a cookie for the assets, and a strict CSP', async () => {
    expect((await fetch(`${base}/`)).status).toBe(401);
    const page = await fetch(shell.url);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const cookie = page.headers.get('set-cookie')!.split(';')[0]!;
    expect(page.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(401);
    const asset = await fetch(`${base}/assets/app.js`, { headers: { cookie } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${base}/assets/../../etc/passwd`, { headers: { cookie } })).status).toBe(404);
  });

  it('serves the current index.html (a renderer rebuilt while the server runs, with new asset names)', async () => {
    const rendererDir = tempDir('renderer-rebuilt');
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><script src="./assets/app-old.js"></script>');
    const other = await startWebShell({ api: station, rendererDir, port: 0 });
    try {
      expect(await (await fetch(other.url)).text()).toContain('app-old.js');
      writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><script src="./assets/app-new.js"></script>');
      expect(await (await fetch(other.url)).text()).toContain('app-new.js');
    } finally {
      await other.close();
    }
  });

  it('requires the token header on every API call', async () => {
    expect((await api('getOverview', undefined, { 'X-PostFocus-Token': 'wrong' })).status).toBe(401);
    const ok = await api('getOverview', undefined);
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { ok: boolean; result: { totals: { frames: number } } };
    expect(body.ok).toBe(true);
    expect(body.result.totals.frames).toBe(8);
  });

  it('rejects malformed payloads (400), unknown commands (400/404) and refused commands (422) with messages', async () => {
    const bad = await api('decide', { frameIds: [1], verdict: 'accept', reviewer: 'a', admin: true });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/unknown field "admin"/);
    expect((await api('dropTables', {})).status).toBe(400);
    expect((await api('get-overview', {})).status).toBe(404);
    const notJson = await fetch(`${base}/api/getFrame`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-PostFocus-Token': shell.token },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    const refused = await api('getFrame', 99_999);
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: string }).error).toMatch(/frame 99999 does not exist/);
    expect((await fetch(`${base}/api/getOverview`, { headers: { 'X-PostFocus-Token': shell.token } })).status).toBe(405);
  });

  it('refuses a relative export destination (it would land under the server\'s working folder)', async () => {
    const policy = { include: 'curated', layout: 'mirror', omeStacks: false, trainingPack: false };
    const relative = await api('startExport', { destination: 'my-export', policy });
    expect(relative.status).toBe(400);
    expect(((await relative.json()) as { error: string }).error).toMatch(/absolute folder path, got "my-export"/);
    await expect(station.startExport({ destination: 'my-export', policy: policy as never })).rejects.toThrow(/absolute folder path/);
  });

  it('keeps a workspace\'s port and token for the next start (owner-only file); ignores a damaged one', () => {
    const ws = tempDir('serve-identity');
    expect(loadServeIdentity(ws)).toBeNull();
    const identity = { port: 41234, token: newToken() };
    expect(saveServeIdentity(ws, identity)).toBeNull();
    expect(loadServeIdentity(ws)).toEqual(identity);
    expect(statSync(join(ws, SERVE_IDENTITY_FILE)).mode & 0o777).toBe(0o600);
    writeFileSync(join(ws, SERVE_IDENTITY_FILE), '{"port": 0, "token": "short"}');
    expect(loadServeIdentity(ws)).toBeNull();
    expect(saveServeIdentity(join(ws, 'missing', 'deeper'), identity)).toMatch(/ENOENT/);
  });

  it('a second shell on a taken port fails with EADDRINUSE and leaves nothing subscribed', async () => {
    const rendererDir = tempDir('renderer-2');
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
    let subscribed = 0;
    const api = { ...station, subscribe: () => (subscribed++, () => subscribed--) } as never;
    await expect(startWebShell({ api, rendererDir, port: shell.port, token: shell.token })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    expect(subscribed).toBe(0);
  });

  it('caps the request body', async () => {
    const huge = await api('decide', { frameIds: [1], verdict: 'accept', reviewer: 'a', note: 'x'.repeat(2 * 1024 * 1024) });
    expect(huge.status).toBe(413);
  });

  it('refuses requests whose Host header is not ours (DNS rebinding)', async () => {
    expect(await rawGet(`/?token=${shell.token}`, `evil.example:${shell.port}`)).toBe(421);
    expect(await rawGet(`/?token=${shell.token}`, `localhost:${shell.port}`)).toBe(200);
  });

  it('streams events over a WebSocket that needs the token', async () => {
    const refused = new WebSocket(`ws://127.0.0.1:${shell.port}/events?token=nope`);
    const refusedStatus = await new Promise<number>((resolve) => refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(refusedStatus).toBe(401);
    const foreign = new WebSocket(`ws://127.0.0.1:${shell.port}/events?token=${shell.token}`, { origin: 'http://evil.example' });
    const foreignStatus = await new Promise<number>((resolve) => foreign.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    expect(foreignStatus).toBe(403);

    const ws = new WebSocket(`ws://127.0.0.1:${shell.port}/events?token=${shell.token}`, { origin: base });
    const received: StationEvent[] = [];
    await new Promise<void>((resolve) => ws.on('message', (data) => {
      const e = JSON.parse(String(data)) as StationEvent | { type: 'hello' };
      if (e.type === 'hello') resolve();
      else received.push(e);
    }));
    const o = await station.getOverview();
    const d = await station.getNanowell(o.wells[0]!.id);
    const frame = d.frames.find((f) => f.state === 'restored') ?? (await station.getNanowell(o.wells[1]!.id)).frames.find((f) => f.state === 'restored')!;
    const res = await api('decide', { frameIds: [frame.id], verdict: 'accept', reviewer: 'eve' });
    expect(res.status).toBe(200);
    await new Promise<void>((resolve) => {
      const check = () => (received.some((e) => e.type === 'wells-updated') ? resolve() : setTimeout(check, 20));
      check();
    });
    expect(received.find((e) => e.type === 'decision')).toMatchObject({ frameIds: [frame.id], verdict: 'accept', reviewer: 'eve' });
    ws.close();
  });

  it('refuses a non-loopback bind without allowRemote', async () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    await expect(startWebShell({ api: station, rendererDir: '/nonexistent', host: '0.0.0.0' })).rejects.toThrow(/--allow-remote/);
  });
});
