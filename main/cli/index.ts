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
  finetune: () => import('./commands/finetune.js'),
  'eval-calibration': () => import('./commands/eval-calibration.js'),
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
  const width = Math.max(...Object.keys(commands).map((n) => n.length)) + 2;
  for (const [name, load] of Object.entries(commands)) {
    try {
      const { default: cmd } = await load();
      lines.push(`  ${name.padEnd(width)}${cmd.summary}`);
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
  // --json promises one JSON document on stdout, failures included (a script parses it either way):
  // a command that fails without writing one gets an error document with what it said on stderr.
  const watch = rest.includes('--json') ? watchOutput() : null;
  let code: number;
  let thrown: string | null = null;
  let usage = false;
  try {
    code = await cmd.run(rest);
  } catch (err) {
    usage = err instanceof UsageError;
    thrown = err instanceof Error ? err.message : String(err);
    code = usage ? ExitCode.usage : ExitCode.failure;
  } finally {
    watch?.stop();
  }
  if (watch && code !== ExitCode.ok && !watch.wroteStdout()) {
    const said = thrown ?? (watch.stderrText().trim().replace(new RegExp(`^postfocus ${name}: `), '') || `exited with status ${code}`);
    console.log(JSON.stringify(jsonError(name, said, code, usage || code === ExitCode.usage)));
  }
  if (thrown !== null) {
    if (usage) console.error(`postfocus ${name}: ${thrown}\nRun \`postfocus ${name} --help\` for usage.`);
    else console.error(`postfocus ${name}: ${thrown}`);
  }
  return code;
}

/** Notes whether a command wrote to stdout and keeps the end of what it wrote to stderr (both still go out). */
function watchOutput(): { stop(): void; wroteStdout(): boolean; stderrText(): string } {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  let wrote = false;
  let tail = '';
  process.stdout.write = ((chunk: unknown, ...args: unknown[]) => {
    wrote = true;
    return (out as (...a: unknown[]) => boolean)(chunk, ...args);
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: unknown, ...args: unknown[]) => {
    tail = (tail + String(chunk)).slice(-4000);
    return (err as (...a: unknown[]) => boolean)(chunk, ...args);
  }) as typeof process.stderr.write;
  return {
    stop() {
      process.stdout.write = out;
      process.stderr.write = err;
    },
    wroteStdout: () => wrote,
    stderrText: () => tail,
  };
}
