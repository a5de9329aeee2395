/**
 * Where the shipped models live: `<package root>/models`, found by walking up
 * from the running bundle (dist/main/cli.js) or source file to package.json.
 * PF_MODELS_DIR overrides it.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'models'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the PostFocus Station package root above ${from}`);
    dir = parent;
  }
}

/** The models folder used when none is given. */
export function defaultModelsDir(): string {
  return process.env.PF_MODELS_DIR ? resolve(process.env.PF_MODELS_DIR) : join(packageRoot(), 'models');
}
