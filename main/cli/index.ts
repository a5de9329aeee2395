/**
 * `postfocus` command-line entry. Each sub-command lives in commands/<name>.ts
 * and is loaded only when used, so `postfocus status` stays fast.
 */
import { UsageError } from './args.js';
import { ExitCode, type Command } from './command.js';

// One line per command; add yours here when its module exists.
const commands: Record<string, () => Promise<{ default: Command }>> = {
  version: () => import('./commands/version.js'),
  ingest: () => import('./commands/ingest.js'),
  watch: () => import('./commands/watch.js'),
  status: () => import('./commands/status.js'),
  frames: () => import('./commands/frames.js'),
  calibrate: () => import('./commands/calibrate.js'),
  export: () => import('./commands/export.js'),
  accept: () => import('./commands/accept.js'),
  serve: () => import('./commands/serve.js'),
  'simulate-pairs': () => import('./commands/simulate-pairs.js'),
  process: () => import('./commands/process.js'),
  eval: () => import('./commands/eval.js'),
  'eval-real': () => import('./commands/eval-real.js'),
  bench: () => import('./commands/bench.js'),
  simulate: () => import('./commands/simulate.js'),
  merge: () => import('./commands/merge.js'),
  cluster: () => import('./commands/cluster.js'),
};

async function topLevelHelp(): Promise<string> {
  const lines = ['Usage: postfocus <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    try {
      const { default: cmd } = await load();
      lines.push(`  ${name.padEnd(16)}${cmd.summary}`);
    } catch {
      // A command whose module is not built yet is simply not listed.
    }
  }
  lines.push('', 'Run `postfocus <command> --help` for the options of a command.');
  return lines.join('\n');
}

/** The stdout document of a failed command run with --json. */
export function jsonError(command: string, message: string, exitCode: number, usage: boolean) {
  return { ok: false, command, error: { kind: usage ? 'usage' : 'failure', message, exitCode } };
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(await topLevelHelp());
    return name ? ExitCode.ok : ExitCode.usage;
  }
  const load = commands[name];
  if (!load) {
    console.error(`postfocus: unknown command "${name}"\n\n${await topLevelHelp()}`);
    return ExitCode.usage;
  }
  const { default: cmd } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(cmd.help);
    return ExitCode.ok;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    const usage = err instanceof UsageError;
    const message = err instanceof Error ? err.message : String(err);
    const code = usage ? ExitCode.usage : ExitCode.failure;
    // --json promises one JSON document on stdout, failures included (a script parses it either way).
    if (rest.includes('--json')) console.log(JSON.stringify(jsonError(name, message, code, usage)));
    if (usage) console.error(`postfocus ${name}: ${message}\nRun \`postfocus ${name} --help\` for usage.`);
    else console.error(`postfocus ${name}: ${message}`);
    return code;
  }
}
