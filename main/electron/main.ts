/**
 * Electron shell (the only code importing 'electron'): one window showing the
 * renderer from the privileged app:// scheme, IPC handlers over the station
 * core, the inference worker as a utilityProcess, menus, single-instance lock
 * and remembered window bounds. All behaviour lives in the core (main/station).
 *
 * Security: contextIsolation + sandbox on, nodeIntegration off, strict CSP on
 * every app:// response, navigation and new windows denied, permission
 * requests denied, IPC senders checked (main/electron/ipc.ts).
 *
 * Native modules: better-sqlite3 must be built for Electron's ABI. Either run
 * `npx electron-builder install-app-deps` (rebuilds node_modules for Electron;
 * electron-builder does this when packaging), or keep node_modules built for
 * Node (CLI, tests) and build a second copy for Electron with
 * `npx @electron/rebuild -f -w better-sqlite3 -m <dir>`, then point
 * POSTFOCUS_SQLITE_BINDING at its build/Release/better_sqlite3.node — it is
 * passed to better-sqlite3 as `nativeBinding` (openWorkspaceDb). A packaged
 * app also looks in <resources>/native/better_sqlite3.node.
 *
 * Command line: electron . [--workspace <dir>] [--acq <dir>] [--models <dir>] [--no-pipeline]
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, protocol, session, utilityProcess, type MenuItemConstructorOptions } from 'electron';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Station } from '../station/station.js';
import { openStation } from '../station/open.js';
import { contentSecurityPolicy } from '../server/web-shell.js';
import { forwardEvents, registerIpcHandlers } from './ipc.js';
import { utilityHostFactory } from './utility-host.js';
import { loadWindowState, saveWindowState, type WindowState } from './window-state.js';

const APP_ORIGIN = 'app://postfocus';
const distDir = resolve(dirname(fileURLToPath(import.meta.url)), '..'); // dist/
const rendererDir = join(distDir, 'renderer');
const packageRoot = resolve(distDir, '..');

protocol.registerSchemesAsPrivileged([
  { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } },
]);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Where a better_sqlite3.node built for Electron is, if provided (see the header comment). */
function sqliteBinding(): string | undefined {
  const candidates = [
    process.env.POSTFOCUS_SQLITE_BINDING,
    app.isPackaged ? join(process.resourcesPath, 'native', 'better_sqlite3.node') : undefined,
  ];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

function modelsDir(): string {
  return argValue('models') ?? (app.isPackaged ? join(process.resourcesPath, 'models') : join(packageRoot, 'models'));
}

function workerScript(): string {
  // In a packaged app the bundle is unpacked from the asar (electron-builder asarUnpack).
  return join(distDir, 'main', 'inference-worker.js').replace(`app.asar${sep}`, `app.asar.unpacked${sep}`);
}

let mainWindow: BrowserWindow | null = null;
let station: Station | null = null;
let stopEvents: (() => void) | null = null;
let current = { workspace: '', acquisition: undefined as string | undefined };
let demo: Electron.UtilityProcess | null = null;

async function startStation(workspace: string, acquisition: string | undefined): Promise<void> {
  await stopStation();
  const binding = sqliteBinding();
  station = await openStation({
    workspace,
    modelsDir: modelsDir(),
    hostFactory: utilityHostFactory({ script: workerScript(), log: (m) => console.error(m) }),
    appVersion: app.getVersion(),
    ...(acquisition ? { acquisition } : {}),
    ...(binding ? { nativeBinding: binding } : {}),
    ...(process.argv.includes('--no-pipeline') ? { noPipeline: 'pipeline disabled (--no-pipeline)' } : {}),
  });
  current = { workspace, acquisition };
  if (mainWindow) {
    const contents = mainWindow.webContents;
    stopEvents = forwardEvents((l) => station!.subscribe(l), {
      isDestroyed: () => contents.isDestroyed(),
      send: (channel, event) => contents.send(channel, event),
    });
  }
  await station.start();
  mainWindow?.setTitle(`PostFocus Station — ${acquisition ?? workspace}`);
}

async function stopStation(): Promise<void> {
  stopEvents?.();
  stopEvents = null;
  const s = station;
  station = null;
  await s?.close();
}

/** The station for IPC: calls made while switching workspaces get a clear error. */
const api = new Proxy({} as Station, {
  get(_target, key: string) {
    return (...args: unknown[]) => {
      if (!station) return Promise.reject(new Error('no workspace is open'));
      const fn = (station as unknown as Record<string, (...a: unknown[]) => unknown>)[key];
      if (typeof fn !== 'function') return Promise.reject(new Error(`unknown command ${key}`));
      return fn.apply(station, args);
    };
  },
});

async function serveAppFile(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.host !== 'postfocus') return new Response('not found', { status: 404 });
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '') || 'index.html';
  const file = resolve(rendererDir, rel);
  if (!file.startsWith(rendererDir + sep)) return new Response('not found', { status: 404 });
  try {
    const body = await readFile(file);
    const types: Record<string, string> = {
      '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
      '.png': 'image/png', '.map': 'application/json',
    };
    return new Response(body, {
      headers: {
        'Content-Type': types[extname(file)] ?? 'application/octet-stream',
        // The renderer talks to the core over IPC only: no network at all.
        'Content-Security-Policy': contentSecurityPolicy("'none'"),
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch {
    return new Response('not found', { status: 404 });
  }
}

function createWindow(): BrowserWindow {
  const state = loadWindowState(app.getPath('userData'));
  const win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: 1100,
    minHeight: 700,
    backgroundColor: '#0e1115',
    title: 'PostFocus Station',
    show: false,
    webPreferences: {
      preload: join(distDir, 'preload', 'index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());
  const save = (): void => {
    if (win.isDestroyed()) return;
    const b = win.getNormalBounds();
    const next: WindowState = { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() };
    try {
      saveWindowState(app.getPath('userData'), next);
    } catch (err) {
      console.error('cannot save the window state:', err);
    }
  };
  win.on('close', save);
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

async function chooseFolder(title: string): Promise<string | undefined> {
  const options = { title, properties: ['openDirectory', 'createDirectory'] as ('openDirectory' | 'createDirectory')[] };
  const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return r.canceled ? undefined : r.filePaths[0];
}

async function reopen(workspace: string, acquisition: string | undefined): Promise<void> {
  try {
    await startStation(workspace, acquisition);
    mainWindow?.webContents.reload();
  } catch (err) {
    dialog.showErrorBox('Cannot open the workspace', err instanceof Error ? err.message : String(err));
  }
}

/** Starts the virtual microscope writing a live demo acquisition, and watches it. */
async function startDemo(): Promise<void> {
  if (demo) return;
  const dir = mkdtempSync(join(tmpdir(), 'postfocus-demo-'));
  const acq = join(dir, 'acquisition');
  // The CLI bundle exports main(); a two-line entry runs it in a utility process
  // (frame rendering must not run on the main thread).
  const entry = join(dir, 'run-cli.mjs');
  writeFileSync(
    entry,
    `import { main } from ${JSON.stringify(pathToFileURL(join(distDir, 'main', 'cli.js')).href)};\n` +
      'process.exitCode = await main(process.argv.slice(2));\n',
  );
  demo = utilityProcess.fork(entry, ['simulate', acq, '--truth', join(dir, 'truth'), '--blocks', '2', '--wells', '36', '--frames', '73', '--rate', '10'], {
    serviceName: 'PostFocus virtual microscope',
    stdio: 'inherit',
  });
  demo.once('exit', () => (demo = null));
  await reopen(join(dir, 'workspace'), acq);
}

function buildMenu(): void {
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Acquisition…',
          accelerator: 'CmdOrCtrl+O',
          click: async () => {
            const acq = await chooseFolder('Acquisition folder to watch (never written)');
            if (acq) await reopen(current.workspace, acq);
          },
        },
        {
          label: 'Open Workspace…',
          accelerator: 'CmdOrCtrl+Shift+O',
          click: async () => {
            const ws = await chooseFolder('Workspace folder (database, restorations, thumbnails)');
            if (ws) await reopen(ws, undefined);
          },
        },
        { label: 'Start Demo Acquisition (virtual microscope, live)', click: () => void startDemo() },
        { type: 'separator' },
        {
          label: 'Export Curated Dataset…',
          accelerator: 'CmdOrCtrl+E',
          click: async () => {
            const destination = await chooseFolder('Export destination (an empty folder)');
            if (!destination || !station) return;
            try {
              const r = await station.startExport({
                destination,
                policy: { include: 'curated', layout: 'mirror', omeStacks: true, trainingPack: false },
              });
              void dialog.showMessageBox({
                message: `Exported ${r.framesExported} frames (${r.framesExcluded} excluded) to ${r.destination}`,
                detail: `manifest sha256 ${r.manifestSha256}`,
              });
            } catch (err) {
              dialog.showErrorBox('Export failed', err instanceof Error ? err.message : String(err));
            }
          },
        },
        { type: 'separator' },
        { role: 'quit' },
      ],
    },
    { label: 'View', submenu: [{ role: 'reload' }, { role: 'toggleDevTools' }, { type: 'separator' }, { role: 'togglefullscreen' }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

function lockDown(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (e) => e.preventDefault());
    contents.on('will-redirect', (e) => e.preventDefault());
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });
  app.on('window-all-closed', () => app.quit());
  let quitting = false;
  app.on('before-quit', (e) => {
    if (quitting) return;
    e.preventDefault();
    quitting = true;
    demo?.kill();
    void stopStation().finally(() => app.quit());
  });

  void app.whenReady().then(async () => {
    lockDown();
    protocol.handle('app', serveAppFile);
    registerIpcHandlers(ipcMain, api, {
      isOurWebContents: (id) => mainWindow !== null && !mainWindow.isDestroyed() && mainWindow.webContents.id === id,
      isAppUrl: (url) => url.startsWith(`${APP_ORIGIN}/`),
      onRefused: (channel, reason) => console.error(`ipc ${channel}: ${reason}`),
    });
    buildMenu();
    mainWindow = createWindow();
    mainWindow.on('closed', () => (mainWindow = null));
    const workspace = argValue('workspace') ?? join(app.getPath('userData'), 'workspace');
    try {
      await startStation(resolve(workspace), argValue('acq'));
    } catch (err) {
      dialog.showErrorBox('Cannot open the workspace', err instanceof Error ? err.message : String(err));
    }
  });
}
