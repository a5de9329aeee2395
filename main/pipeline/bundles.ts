/**
 * Finds a sibling bundle of dist/main/ (the inference worker, the export thread)
 * from wherever the running code is: dist/main/cli.js, dist/bench/*.js,
 * dist/electron/main.js, or the TypeScript sources under vitest.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function findMainBundle(file: string, what: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, file), // running from dist/main/*.js
    join(here, '..', '..', 'dist', 'main', file), // running from sources (vitest)
    join(here, '..', 'main', file), // running from dist/bench/*.js or dist/electron/*.js
  ];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`${what} bundle not found (looked in ${candidates.join(', ')}); run \`npm run build\``);
  return found;
}
