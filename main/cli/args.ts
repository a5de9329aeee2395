/**
 * Strict argument parsing shared by every `postfocus` command (node:util
 * parseArgs underneath). Unknown flags are errors (a typo must not silently
 * change behaviour).
 */
import { parseArgs as nodeParseArgs } from 'node:util';

export class UsageError extends Error {}

export interface FlagSpec {
  /** `string` flags take a value, `boolean` flags do not. */
  type: 'string' | 'boolean';
  alias?: string;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Record<string, string | boolean | undefined>;
}

/**
 * Parses `argv` against `spec` with node:util's parseArgs (strict: unknown flags
 * and missing values are errors), keeping two rules of ours: a string flag always
 * takes the next argument as its value, so `--rate -3` reaches the flag's own range
 * check, and every failure is a UsageError naming the flag.
 */
export function parseArgs(argv: string[], spec: Record<string, FlagSpec>): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, s] of Object.entries(spec)) options[name] = s.alias ? { type: s.type, short: s.alias } : { type: s.type };
  const byAlias = new Map(Object.entries(spec).filter(([, s]) => s.alias).map(([k, s]) => [`-${s.alias!}`, k]));
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const name = arg.startsWith('--') ? arg.slice(2) : byAlias.get(arg);
    if (name !== undefined && spec[name]?.type === 'string' && i + 1 < argv.length) {
      args.push(`--${name}=${argv[++i]!}`);
    } else {
      args.push(arg);
    }
  }
  try {
    const { values, positionals } = nodeParseArgs({ args, options, strict: true, allowPositionals: true });
    return { positionals, flags: { ...values } };
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
}

/** node:util's parse errors in our words: `unknown option --x`, `--x needs a value`, `--x takes no value`. */
function usageMessage(err: Error & { code?: string }): string {
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return `unknown option ${/'([^']+)'/.exec(err.message)?.[1] ?? ''}`.trim();
  }
  const name = /--([A-Za-z0-9][\w-]*)/.exec(err.message)?.[1] ?? '?';
  if (/argument missing/.test(err.message)) return `--${name} needs a value`;
  if (/does not take an argument/.test(err.message)) return `--${name} takes no value`;
  return err.message;
}

/** Flags that take a value, by name (for a parseArgs spec: `{ ...stringFlags('size', 'seed') }`). */
export function stringFlags(...names: string[]): Record<string, FlagSpec> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }]));
}

/** Flags without a value, by name (for a parseArgs spec: `{ ...booleanFlags('json') }`). */
export function booleanFlags(...names: string[]): Record<string, FlagSpec> {
  return Object.fromEntries(names.map((name) => [name, { type: 'boolean' }]));
}

/** Reads a numeric flag; rejects non-numbers and values outside [min, max]. */
export function numberFlag(
  flags: ParsedArgs['flags'],
  name: string,
  fallback: number,
  { min = -Infinity, max = Infinity, integer = false } = {},
): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (typeof raw !== 'string' || raw.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name} must be a number, got "${String(raw)}"`);
  }
  if (integer && !Number.isInteger(value)) throw new UsageError(`--${name} must be a whole number, got ${raw}`);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return value;
}

export function stringFlag(flags: ParsedArgs['flags'], name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}
