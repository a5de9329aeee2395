/**
 * Web shell: serves the built renderer and the StationApi over loopback HTTP
 * (POST /api/<command>, JSON) plus a WebSocket event stream (/events).
 *
 * Security model (a station PC is shared; browsers on it must not be able to
 * drive the station from another site):
 * - a random token is required on every request: the page URL carries it once
 *   (?token=…), which sets an HttpOnly SameSite=Strict cookie for the static
 *   assets; API calls send it in the `X-PostFocus-Token` header (a custom header
 *   cannot be sent cross-origin without a CORS preflight, which is never
 *   granted); the WebSocket passes it as a query parameter and must come from
 *   our own origin;
 * - the Host header must name the bound address (defeats DNS rebinding);
 * - binding a non-loopback address needs `allowRemote`;
 * - strict CSP and no-sniff headers on every response, request bodies capped.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { StationApi, StationEvent } from '../../preload/api.js';
import { dispatchCommand, ValidationError } from '../station/validate.js';

export interface WebShellOptions {
  api: StationApi;
  /** Folder of the built renderer (dist/renderer). */
  rendererDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  allowRemote?: boolean;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
  /** Largest accepted request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface WebShell {
  url: string;
  host: string;
  port: number;
  token: string;
  /** Closes the event streams and the server. */
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Whether an address is loopback (the only kind bound without `allowRemote`). */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The Content-Security-Policy of the renderer page (no inline script, no remote
 * anything). `connectSources`: the web shell's own origin and WebSocket; the
 * Electron shell passes 'none' (it talks over IPC only).
 */
export function contentSecurityPolicy(connectSources: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connectSources}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sameToken(expected: Buffer, given: string | undefined | null): boolean {
  if (!given) return false;
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) throw new HttpError(413, `request body too large (${declared} > ${limit} bytes)`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body too large (> ${limit} bytes)`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Where `postfocus serve` keeps its port and token, inside the workspace. */
export const SERVE_IDENTITY_FILE = 'serve.json';

/**
 * The port and token of a workspace's web shell. Kept in the workspace so a
 * restarted server answers at the same address with the same token, and an
 * open review tab reconnects by itself.
 */
export interface ServeIdentity {
  port: number;
  token: string;
}

/** The stored identity of a workspace's web shell, or null (none yet, or unreadable). */
export function loadServeIdentity(workspace: string): ServeIdentity | null {
  try {
    const v = JSON.parse(readFileSync(join(workspace, SERVE_IDENTITY_FILE), 'utf8')) as Partial<ServeIdentity>;
    const portOk = Number.isInteger(v.port) && v.port! > 0 && v.port! <= 65535;
    const tokenOk = typeof v.token === 'string' && /^[A-Za-z0-9_-]{32,128}$/.test(v.token);
    return portOk && tokenOk ? { port: v.port!, token: v.token! } : null;
  } catch {
    return null;
  }
}

/**
 * Stores the identity (owner-only file, written atomically). Returns why it
 * could not be stored (a read-only workspace), or null.
 */
export function saveServeIdentity(workspace: string, identity: ServeIdentity): string | null {
  const file = join(workspace, SERVE_IDENTITY_FILE);
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify(identity) + '\n', { mode: 0o600 });
    renameSync(`${file}.tmp`, file);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** A new random access token. */
export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

/** Starts the web shell; resolves once it listens. */
/** What the request handlers of one web shell share; `port`, `cookieName`, `allowedHosts` and `csp` are set once listening. */
interface Shell {
  options: WebShellOptions;
  api: WebShellOptions['api'];
  rendererDir: string;
  indexHtml: string;
  token: string;
  tokenBuf: Buffer;
  maxBody: number;
  cookieName: string;
  allowedHosts: Set<string>;
  csp: string;
}

function securityHeaders(res: ServerResponse, csp: string): void {
  res.setHeader('Content-Security-Policy', csp);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(text);
}

function checkHost(shell: Shell, req: IncomingMessage): void {
  if (shell.options.allowRemote) return;
  const h = (req.headers.host ?? '').toLowerCase();
  if (!shell.allowedHosts.has(h)) throw new HttpError(421, `unexpected Host header "${h}"`);
}

/** POST /api/<command>: token header, JSON body, validated dispatch; errors as `{ ok: false, error }`. */
async function handleApi(shell: Shell, req: IncomingMessage, res: ServerResponse, command: string): Promise<void> {
  if (req.method !== 'POST') throw new HttpError(405, 'API commands are POST requests');
  if (!sameToken(shell.tokenBuf, req.headers['x-postfocus-token'] as string | undefined)) {
    throw new HttpError(401, 'missing or wrong X-PostFocus-Token header');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const body = await readBody(req, shell.maxBody);
  if (body.length > 0 && type !== 'application/json') throw new HttpError(415, 'request body must be application/json');
  let payload: unknown;
  try {
    payload = body.length === 0 ? undefined : JSON.parse(body);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  try {
    const result = await dispatchCommand(shell.api, command, payload);
    sendJson(res, 200, { ok: true, result: result ?? null });
  } catch (err) {
    const status = err instanceof ValidationError ? 400 : 422;
    sendJson(res, status, { ok: false, error: err instanceof Error ? err.message : String(err) });
  }
}

/** The renderer's files, behind the token (from the URL once, then the cookie). */
async function serveStatic(shell: Shell, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'method not allowed');
  const queryToken = url.searchParams.get('token');
  const fromQuery = sameToken(shell.tokenBuf, queryToken);
  if (!fromQuery && !sameToken(shell.tokenBuf, cookieValue(req, shell.cookieName))) {
    throw new HttpError(401, 'open the URL printed by `postfocus serve` (it carries the access token)');
  }
  if (fromQuery) {
    res.setHeader('Set-Cookie', `${shell.cookieName}=${shell.token}; HttpOnly; SameSite=Strict; Path=/`);
  }
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    throw new HttpError(400, 'malformed path');
  }
  if (rel === '/' || rel === '/index.html') {
    shell.indexHtml = await readFile(join(shell.rendererDir, 'index.html'), 'utf8').catch(() => shell.indexHtml);
    res.writeHead(200, { 'Content-Type': MIME['.html']!, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : shell.indexHtml);
    return;
  }
  rel = normalize(rel).replace(/^([/\\])+/, '');
  const file = resolve(shell.rendererDir, rel);
  if (!file.startsWith(shell.rendererDir + sep)) throw new HttpError(404, 'not found');
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new HttpError(404, 'not found');
  res.writeHead(200, {
    'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
    'Content-Length': info.size,
    // Vite names assets by content hash, so they never change under a name.
    'Cache-Control': rel.startsWith('assets/') ? 'private, max-age=31536000, immutable' : 'no-store',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}

/** One HTTP request: API or static file; a failure answers with its status and message. */
async function handleRequest(shell: Shell, req: IncomingMessage, res: ServerResponse): Promise<void> {
  securityHeaders(res, shell.csp);
  try {
    checkHost(shell, req);
    const url = new URL(req.url ?? '/', 'http://station.invalid');
    const api = /^\/api\/([A-Za-z]+)$/.exec(url.pathname);
    if (api) await handleApi(shell, req, res, api[1]!);
    else if (url.pathname.startsWith('/api/')) throw new HttpError(404, 'unknown API path');
    else await serveStatic(shell, req, res, url);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    if (!(err instanceof HttpError)) console.error('web shell: request failed:', err);
    if (!res.headersSent) sendJson(res, status, { ok: false, error: err instanceof Error ? err.message : String(err) });
    else res.destroy();
  }
}

/** The event stream (WebSocket /events): same host and token rules; one-way. */
function handleUpgrade(shell: Shell, wss: WebSocketServer, clients: Set<WebSocket>, req: IncomingMessage, socket: Socket, head: Buffer): void {
  const refuse = (status: number, text: string): void => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  try {
    checkHost(shell, req);
  } catch {
    refuse(421, 'Misdirected Request');
    return;
  }
  const url = new URL(req.url ?? '/', 'http://station.invalid');
  if (url.pathname !== '/events') return refuse(404, 'Not Found');
  if (!sameToken(shell.tokenBuf, url.searchParams.get('token'))) return refuse(401, 'Unauthorized');
  const origin = req.headers.origin;
  if (origin !== undefined && !shell.options.allowRemote && !shell.allowedHosts.has(origin.replace(/^https?:\/\//, '').toLowerCase())) {
    return refuse(403, 'Forbidden');
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    // The stream is one-way: any message from a client closes it.
    ws.on('message', () => ws.close(1003, 'this stream does not accept messages'));
    ws.send(JSON.stringify({ type: 'hello' }));
  });
}

/** Sends an event to every open client; a client that cannot keep up is dropped (it reconnects and reloads state). */
function broadcast(clients: Set<WebSocket>, event: StationEvent): void {
  if (clients.size === 0) return;
  const text = JSON.stringify(event);
  for (const ws of clients) {
    if (ws.readyState !== ws.OPEN) continue;
    if (ws.bufferedAmount > 16 * 1024 * 1024) {
      ws.close(1013, 'event stream overflow; reconnect');
      continue;
    }
    ws.send(text);
  }
}

export async function startWebShell(options: WebShellOptions): Promise<WebShell> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new Error(
      `refusing to serve on ${host}: only loopback addresses (127.0.0.1, ::1) are allowed without --allow-remote`,
    );
  }
  const rendererDir = resolve(options.rendererDir);
  // Checked once here (a clear error at start); served fresh on each request, so a renderer rebuilt while the
  // server runs never leaves the page pointing at asset names that no longer exist.
  const indexHtml = await readFile(join(rendererDir, 'index.html'), 'utf8').catch(() => {
    throw new Error(`the renderer is not built (${join(rendererDir, 'index.html')} missing): run npm run build:renderer`);
  });
  const token = options.token ?? newToken();
  const shell: Shell = {
    options, api: options.api, rendererDir, indexHtml, token, tokenBuf: Buffer.from(token), maxBody: options.maxBodyBytes ?? 1024 * 1024,
    cookieName: 'postfocus', allowedHosts: new Set<string>(), csp: '',
  };

  const server: Server = createServer((req, res) => void handleRequest(shell, req, res));
  server.headersTimeout = 10_000;
  server.requestTimeout = 60_000;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket: Socket, head) => handleUpgrade(shell, wss, clients, req, socket, head));
  const unsubscribe = options.api.subscribe((event: StationEvent) => broadcast(clients, event));

  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (err) {
    // Not listening (e.g. the port is taken): leave nothing subscribed behind.
    unsubscribe();
    wss.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  shell.cookieName = `postfocus_${port}`;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  shell.allowedHosts = new Set([`${hostPart}:${port}`, `localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]);
  shell.csp = contentSecurityPolicy(`'self' ws://${hostPart}:${port}`);
  const url = `http://${hostPart}:${port}/?token=${token}`;

  let closing: Promise<void> | null = null;
  return {
    url,
    host,
    port,
    token,
    close() {
      closing ??= new Promise<void>((done) => {
        unsubscribe();
        for (const ws of clients) ws.close(1001, 'station shutting down');
        wss.close();
        server.close(() => done());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      });
      return closing;
    },
  };
}
