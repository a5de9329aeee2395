/** Runs the real `postfocus` CLI (bin/postfocus.js → dist/) as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { ensureBuilt } from '../../scripts/build.mjs';
import { tempDir } from './workspace.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = resolve(REPO_ROOT, 'bin/postfocus.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  output(): { stdout: string; stderr: string };
  /** Resolves when the process has exited. */
  exited: Promise<CliResult>;
}

/**
 * Brings dist/ up to date once, before starting several CLI processes at the
 * same time (each would otherwise rebuild on its own if a source changed).
 */
export async function ensureCliBuilt(): Promise<void> {
  await ensureBuilt({ quiet: true });
}

/** Starts `node bin/postfocus.js ...args`. */
export function spawnCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<CliResult>((done) =>
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr })),
  );
  return { child, output: () => ({ stdout, stderr }), exited };
}

/** Runs the CLI to completion. */
export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  return spawnCli(args, options).exited;
}

/** Runs a plain Node script (e.g. the acquisition writer) to completion. */
export function runNode(script: string, args: string[]): { child: ChildProcess; exited: Promise<CliResult> } {
  return runProcess(process.execPath, [script, ...args]);
}

/** Runs any program to completion, collecting its output. */
export function runProcess(command: string, args: string[]): { child: ChildProcess; exited: Promise<CliResult> } {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, exited: new Promise((done) => child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))) };
}

/** A temporary folder for the CLI tests of one file, with the CLI built before them and the folder removed after. */
export function cliTestDir(prefix: string): { dir: string; cleanup: () => void } {
  const tmp = tempDir(prefix);
  beforeAll(() => ensureCliBuilt());
  afterAll(() => tmp.cleanup());
  return tmp;
}
