// Checks (and where possible repairs) what the tests and the CLI need, so that
// `npm test` and `npm start` work right after `npm install` on a fresh machine:
//  - better-sqlite3 must be built for the Node that runs the tests and the CLI
//    (an Electron rebuild replaces it with an Electron-ABI binary);
//  - the Node bundles in dist/ are built.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildAll } from './build.mjs';

const quiet = process.argv.includes('--quiet');
const log = (msg) => quiet || console.log(`setup: ${msg}`);
const require = createRequire(import.meta.url);

function sqliteLoads() {
  try {
    const Database = require('better-sqlite3');
    new Database(':memory:').close();
    return true;
  } catch (err) {
    log(`better-sqlite3 does not load under Node ${process.version}: ${err.message.split('\n')[0]}`);
    return false;
  }
}

if (!existsSync('node_modules')) {
  console.error('setup: node_modules is missing: run `npm install` first');
  process.exit(1);
}
if (!sqliteLoads()) {
  log('rebuilding better-sqlite3 for Node');
  execFileSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'inherit' });
  if (!sqliteLoads()) process.exit(1);
}
await buildAll({ quiet: true });
log(existsSync('/usr/bin/chromium') ? 'chromium found: renderer end-to-end tests will run' : 'no /usr/bin/chromium: renderer end-to-end tests will be skipped (apt-get install chromium)');
