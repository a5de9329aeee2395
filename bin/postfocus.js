#!/usr/bin/env node
// `postfocus` entry: builds the Node bundles on demand (esbuild, ~1 s) when the
// sources are newer than dist/, and the renderer (Vite, ~5 s) before `serve`,
// then runs the CLI.
import { ensureBuilt, ensureRendererBuilt } from '../scripts/build.mjs';

await ensureBuilt({ quiet: true });
if (process.argv[2] === 'serve') ensureRendererBuilt({ quiet: true });
const { main } = await import('../dist/main/cli.js');
process.exitCode = await main(process.argv.slice(2));
