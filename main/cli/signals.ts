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
 * Returns a function that removes the handlers (call it when the command ends).
 */
export function onStopSignals(stop: (signal: StopSignal) => void, options: { quiet?: boolean } = {}): () => void {
  let first: StopSignal | null = null;
  const handle = (signal: StopSignal) => {
    if (first) {
      if (!options.quiet) process.stderr.write(`\n${signal} again: exiting now (committed work is kept)\n`);
      process.exit(signalExitCode(signal));
    }
    first = signal;
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
