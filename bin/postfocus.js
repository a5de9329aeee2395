#!/usr/bin/env node
// `postfocus` entry: builds the Node bundles on demand (esbuild, ~1 s) when the
// sources are newer than dist/, then runs the CLI.
import { ensureBuilt } from '../scripts/build.mjs';

await ensureBuilt({ quiet: true });
const { main } = await import('../dist/main/cli.js');
process.exitCode = await main(process.argv.slice(2));
