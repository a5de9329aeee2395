/**
 * The arguments every command that reads an acquisition takes (ingest, watch,
 * process): one acquisition folder, `--workspace`, `--layout` / `--pattern`,
 * `--channel` and `--max-pixels`, read once here so the commands say the same things about them.
 */
import { resolve } from 'node:path';
import { parseLayoutChoice, parseMaxPixels } from '../acquisition/options.js';
import { stringFlag, stringFlags, UsageError, type FlagSpec, type ParsedArgs } from './args.js';

/** Flag specs of the acquisition arguments (spread into a command's parseArgs spec). */
export const ACQUISITION_FLAGS: Record<string, FlagSpec> = {
  workspace: { type: 'string', alias: 'w' },
  ...stringFlags('layout', 'pattern', 'channel', 'max-pixels'),
};

/** Runs a parser of a flag's value; its error becomes a UsageError (exit 2) with the same message. */
export function asUsage<T>(parse: () => T, prefix = ''): T {
  try {
    return parse();
  } catch (err) {
    throw new UsageError(`${prefix}${(err as Error).message}`);
  }
}

/** The acquisition root and workspace (resolved), the layout to read it with and the frame size limit. */
export function acquisitionArgs({ positionals, flags }: ParsedArgs) {
  if (positionals.length !== 1) throw new UsageError('expected one acquisition folder');
  const workspace = stringFlag(flags, 'workspace');
  if (!workspace) throw new UsageError('--workspace is required');
  return {
    root: resolve(positionals[0]!),
    workspace: resolve(workspace),
    layoutChoice: asUsage(() => parseLayoutChoice(stringFlag(flags, 'layout'), stringFlag(flags, 'pattern'), stringFlag(flags, 'channel'))),
    maxPixels: asUsage(() => parseMaxPixels(stringFlag(flags, 'max-pixels'))),
  };
}
