// `npm start`: builds what is stale, starts a LIVE demo acquisition written by
// the virtual microscope into a temporary folder, and opens the station on it:
// the Electron app where its binary is installed, else the web shell (prints
// the URL to open). Ctrl-C stops everything and removes the temporary folders
// (`--keep` keeps them).
//
// Options: --keep  --web (force the web shell)  --rate <frames/s> (default 10)
//          --blocks <n> (2)  --wells <n> (36)  --frames <n> (73)  --port <n> (0)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildAll, ensureRendererBuilt } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const say = (message) => console.log(`[start] ${message}`);

/** Builds the renderer with Vite when a renderer source (or the API types) is newer than the bundle. */
function ensureRenderer() {
  if (ensureRendererBuilt({ quiet: true })) say('renderer built (vite)');
}

/**
 * Path of the Electron binary, or null when it is not installed. Reads
 * node_modules/electron/path.txt instead of require('electron'), which would
 * try to download the binary.
 */
export function electronBinary() {
  const dir = join(root, 'node_modules/electron');
  const pathFile = join(dir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : 'electron';
    const p = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name);
    return existsSync(p) ? p : null;
  }
  if (!existsSync(pathFile)) return null;
  const p = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(p) ? p : null;
}

const children = new Set();
function run(command, argv, options = {}) {
  const child = spawn(command, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function prefixLines(stream, prefix, sink = process.stderr) {
  createInterface({ input: stream }).on('line', (line) => sink.write(`${prefix} ${line}\n`));
}

let tempDir = null;
let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  const waits = [...children].map(
    (child) =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGINT');
        setTimeout(() => child.kill('SIGKILL'), 8000).unref();
      }),
  );
  await Promise.all(waits);
  if (tempDir && !flag('keep')) {
    rmSync(tempDir, { recursive: true, force: true });
    say(`removed ${tempDir}`);
  } else if (tempDir) {
    say(`kept ${tempDir}`);
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

say('building…');
await buildAll({ quiet: true });
ensureRenderer();

tempDir = mkdtempSync(join(tmpdir(), 'postfocus-demo-'));
const acq = join(tempDir, 'acquisition');
const truth = join(tempDir, 'truth');
const workspace = join(tempDir, 'workspace');
const modelsDir = join(root, 'models');
const haveModels = existsSync(join(modelsDir, 'manifest.json'));
say(`demo acquisition: ${acq} (written live)`);
say(`workspace:        ${workspace}`);
if (!haveModels) {
  say(`no trained models (${join(modelsDir, 'manifest.json')} missing): frames are ingested and shown, but not classified or restored.`);
  say('train them with `npm run models:train` (see models/README.md).');
}

const bin = join(root, 'bin/postfocus.js');
const sim = run(process.execPath, [
  bin, 'simulate', acq, '--truth', truth,
  '--blocks', option('blocks', '2'), '--wells', option('wells', '36'), '--frames', option('frames', '73'),
  '--rate', option('rate', '10'),
]);
prefixLines(sim.stderr, '[microscope]');
prefixLines(sim.stdout, '[microscope]');
sim.once('exit', (code, signal) => {
  if (!stopping) say(code === 0 ? 'the virtual microscope finished the acquisition' : `the virtual microscope stopped (${signal ?? code})`);
});

const electron = flag('web') ? null : electronBinary();
if (electron) {
  say(`starting the Electron app (${electron})`);
  // Chromium refuses to run as root with its OS sandbox (containers, CI).
  const asRoot = process.platform === 'linux' && process.getuid?.() === 0;
  if (asRoot) say('running as root: starting Electron with --no-sandbox (the OS-level sandbox is unavailable to root)');
  const app = run(electron, [root, '--workspace', workspace, '--acq', acq, ...(haveModels ? [] : ['--no-pipeline']), ...(asRoot ? ['--no-sandbox'] : [])], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  app.once('exit', (code) => void stopAll(code ?? 0));
} else {
  if (!flag('web')) say('Electron binary not installed here (node_modules/electron/dist): using the web shell instead.');
  const serve = run(process.execPath, [
    bin, 'serve', workspace, '--acq', acq, '--port', option('port', '0'), '--json',
    ...(haveModels ? [] : ['--no-pipeline']),
  ]);
  prefixLines(serve.stderr, '[station]');
  createInterface({ input: serve.stdout }).on('line', (line) => {
    try {
      const { url } = JSON.parse(line);
      say('');
      say(`Open the review app:  ${url}`);
      say('(Ctrl-C stops the microscope and the station)');
    } catch {
      process.stdout.write(`${line}\n`);
    }
  });
  serve.once('exit', (code) => void stopAll(code ?? 0));
}
