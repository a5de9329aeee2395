/**
 * Ctrl-C and SIGTERM for long-running commands (process, watch, serve): the
 * first signal stops the command in order (jobs end or are cancelled, the
 * workspace is closed); a second one, for an operator who will not wait, exits
 * at once. Work is derived from the database, so a forced exit loses nothing
 * that was committed.
 */

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** Exit status of a process ended by `signal` (128 + signal number, as shells report it). */
export function signalExitCode(signal: StopSignal): number {
  return signal === 'SIGINT' ? 130 : 143;
}

/**
 * Calls `stop` once, on the first SIGINT or SIGTERM; a second signal prints
 * `forcing` to stderr and exits the process with 128 + the signal number.
 * A second signal within `graceMs` of the first counts as the same request:
 * Ctrl-C in a terminal reaches the whole process group, and a wrapper such as
 * `npm start` forwards it as well, so one keypress arrives twice.
 * Returns a function that removes the handlers (call it when the command ends).
 */
export function onStopSignals(
  stop: (signal: StopSignal) => void,
  options: { quiet?: boolean; graceMs?: number; exit?: (code: number) => void } = {},
): () => void {
  const { graceMs = 1000, exit = (code: number) => process.exit(code) } = options;
  let first: { signal: StopSignal; at: number } | null = null;
  const handle = (signal: StopSignal) => {
    if (first) {
      if (Date.now() - first.at < graceMs) return;
      if (!options.quiet) process.stderr.write(`\n${signal} again: exiting now (committed work is kept)\n`);
      exit(signalExitCode(signal));
      return;
    }
    first = { signal, at: Date.now() };
    stop(signal);
  };
  const onInt = () => handle('SIGINT');
  const onTerm = () => handle('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}
