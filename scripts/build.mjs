// Builds the Node-side bundles (CLI, inference worker, Electron shell, preload,
// benchmarks) with esbuild. Dependencies stay external: native modules are
// loaded from node_modules by the runtime that runs the bundle.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Entry points: output name (under dist/) → source file. */
export const entries = {
  'main/cli': 'main/cli/index.ts',
  'main/inference-worker': 'main/inference/worker.ts',
  'main/export-worker': 'main/export/worker.ts',
  'main/render-worker': 'main/station/render-worker.ts',
  'electron/main': 'main/electron/main.ts',
  'bench/ingest': 'bench/ingest.ts',
  'bench/simulate': 'bench/simulate.ts',
  'bench/inference': 'bench/inference.ts',
  'bench/review': 'bench/review.ts',
  'bench/export': 'bench/export.ts',
  'bench/classify': 'bench/classify.ts',
  'bench/live': 'bench/live.ts',
  'bench/shards': 'bench/shards.ts',
  'bench/soak': 'bench/soak.ts',
};

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    if (s.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.(ts|mts|json)$/.test(name)) newest = Math.max(newest, s.mtimeMs);
  }
  return newest;
}

function sourcesNewestMtime() {
  return Math.max(
    ...['main', 'preload', 'bench'].filter((d) => existsSync(join(root, d))).map((d) => newestMtime(join(root, d))),
    statSync(join(root, 'scripts/build.mjs')).mtimeMs,
  );
}

const stampFile = join(root, 'dist/.build-stamp');

export async function buildAll({ quiet = false } = {}) {
  const present = Object.entries(entries).filter(([, src]) => existsSync(join(root, src)));
  await build({
    absWorkingDir: root,
    entryPoints: Object.fromEntries(present),
    outdir: join(root, 'dist'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    packages: 'external',
    external: ['electron'],
    sourcemap: 'linked',
    logLevel: quiet ? 'error' : 'info',
    banner: {
      // ESM bundles have no require/__dirname; some code paths need them.
      js: "import { createRequire as __pfCreateRequire } from 'node:module'; const require = __pfCreateRequire(import.meta.url);",
    },
  });
  // Preload must be CommonJS: sandboxed preloads cannot be ES modules.
  if (existsSync(join(root, 'preload/index.ts'))) {
    await build({
      absWorkingDir: root,
      entryPoints: { 'preload/index': 'preload/index.ts' },
      outdir: join(root, 'dist'),
      outExtension: { '.js': '.cjs' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      external: ['electron'],
      logLevel: quiet ? 'error' : 'info',
    });
  }
  mkdirSync(dirname(stampFile), { recursive: true });
  writeFileSync(stampFile, String(Date.now()));
}

/** Rebuilds only when a source file is newer than the last build. */
export async function ensureBuilt({ quiet = true } = {}) {
  const stamp = existsSync(stampFile) ? statSync(stampFile).mtimeMs : 0;
  if (stamp >= sourcesNewestMtime()) return false;
  await buildAll({ quiet });
  return true;
}

/** Newest modification time of any file under `dir` (node_modules skipped). */
function newestFileMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestFileMtime(p) : s.mtimeMs);
  }
  return newest;
}

/**
 * Builds the renderer (Vite) into dist/renderer when one of its sources (renderer/,
 * the contract file, the domain types it re-exports) is newer than the bundle.
 * Returns whether it built. Throws with Vite's output when the build fails.
 */
export function ensureRendererBuilt({ quiet = true } = {}) {
  const index = join(root, 'dist/renderer/index.html');
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = Math.max(
    newestFileMtime(join(root, 'renderer')),
    newestFileMtime(join(root, 'main/common')),
    statSync(join(root, 'preload/api.ts')).mtimeMs,
  );
  if (built >= sources) return false;
  if (!quiet) console.error('building the renderer (vite)…');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`the renderer build failed:\n${r.stdout}\n${r.stderr}`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quiet = process.argv.includes('--quiet');
  await buildAll({ quiet });
  ensureRendererBuilt({ quiet });
}
