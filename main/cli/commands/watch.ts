import { resolve } from 'node:path';
import { EventBus } from '../../common/event-bus.js';
import { DEFAULT_MAX_PIXELS } from '../../acquisition/options.js';
import { ACQUISITION_FLAGS, acquisitionArgs } from '../acquisition-args.js';
import { AcquisitionWatcher, type WatcherStatus } from '../../acquisition/watcher.js';
import { openBatchWorkspace } from '../../station/open.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags } from '../args.js';
import { ExitCode, type Command } from '../command.js';
import { formatQueue, ProgressLine } from '../progress.js';
import { onStopSignals, type StopSignal } from '../signals.js';
import { userInfo } from 'node:os';
import { applyProfileFile, classifierSha } from '../../pipeline/calibrate.js';
import { defaultModelsDir } from '../../pipeline/paths.js';

const help = `Usage: postfocus watch <acquisition> --workspace <folder> [options]

Watches an acquisition folder while the microscope writes it and ingests each
frame once, as soon as it is completely written. Runs until Ctrl-C / SIGTERM,
then closes the workspace cleanly. Restarting continues where it stopped.
Progress goes to stderr; errors (corrupt or truncated files) are recorded in
the workspace and printed as they happen.

Options:
  --workspace, -w <folder>  workspace folder (created if needed)
  --layout <name>           auto (default) | timing | micromanager | nikon | stack | pattern
  --pattern <pattern>       file names with fields {block} {well} {t} {channel}
  --channel <c>             only this channel (index or name as the file names give it, e.g. the
                            transmitted-light channel of a multi-channel acquisition); default all
  --poll                    rescan only, no change notifications (network shares)
  --rescan-ms <ms>          full rescan interval (default 5000; 1000 with --poll)
  --stable-ms <ms>          interval of the two size checks (default 300)
  --settle-ms <ms>          an incomplete TIFF unchanged this long is an error (default 3000)
  --max-pixels <n|WxH>      refuse frames larger than this (default ${Math.sqrt(DEFAULT_MAX_PIXELS)}x${Math.sqrt(DEFAULT_MAX_PIXELS)})
  --profile <file>          microscope profile (postfocus calibrate --export) put in force in the workspace
  --json                    on exit, print the final status as one JSON document on stdout
  --quiet                   no progress line

Exit codes: 0 stopped by signal, 1 failure, 2 usage.`;

function statusText(s: WatcherStatus): string {
  if (s.state === 'waiting-for-root') return s.rootSeen ? `waiting for ${s.root} to become reachable again...` : `waiting for ${s.root} (it does not exist yet)...`;
  if (!s.layout) return `watching ${s.root}: waiting for frames (no layout recognised yet)`;
  const c = s.counters;
  return `${formatQueue('ingest', s.progress, 20)} | ignored ${c.ignored} errors ${c.errors}`;
}

const command: Command = {
  summary: 'watch an acquisition folder and ingest frames live',
  help,
  async run(argv) {
    const args = parseArgs(argv, {
      ...ACQUISITION_FLAGS,
      ...stringFlags('rescan-ms', 'stable-ms', 'settle-ms', 'profile'),
      ...booleanFlags('poll', 'json', 'quiet'),
    });
    const { flags } = args;
    const { root, workspace, layoutChoice: choice, maxPixels } = acquisitionArgs(args);
    const poll = Boolean(flags.poll);
    const rescanMs = numberFlag(flags, 'rescan-ms', poll ? 1000 : 5000, { min: 50, max: 3_600_000, integer: true });
    const stableMs = numberFlag(flags, 'stable-ms', 300, { min: 0, max: 60_000, integer: true });
    const settleMs = numberFlag(flags, 'settle-ms', 3000, { min: 0, max: 3_600_000, integer: true });
    const batch = openBatchWorkspace(workspace, root, 'watch');
    const { db } = batch;
    const line = new ProgressLine({ silent: Boolean(flags.quiet) });
    const profileFile = stringFlag(flags, 'profile');
    if (profileFile) {
      try {
        const p = applyProfileFile(db, resolve(profileFile), userInfo().username, classifierSha(defaultModelsDir()));
        line.log(`microscope profile ${profileFile}: ${p.applied ? 'applied' : 'already in force'}; ${p.summary}`);
      } catch (err) {
        batch.close();
        throw err;
      }
    }
    const bus = new EventBus();
    bus.subscribe((event) => {
      if (event.type === 'error') line.log(`error: ${event.entry.path ?? root}: ${event.entry.message}`);
    });
    let watcher: AcquisitionWatcher;
    try {
      watcher = new AcquisitionWatcher(db, root, { ...choice, poll, rescanMs, stableMs, settleMs, maxPixels, bus, log: (m) => line.log(m) });
    } catch (err) {
      batch.close();
      throw err;
    }
    let removeSignals = () => {};
    const stopped = new Promise<StopSignal>((done) => (removeSignals = onStopSignals(done, { quiet: Boolean(flags.quiet) })));
    await watcher.start();
    line.log(`watching ${root} → ${workspace} (${poll ? 'polling' : 'change notifications + rescans'})`);
    const ticker = setInterval(() => line.update(statusText(watcher.status())), 250);
    const signal = await stopped;
    clearInterval(ticker);
    await watcher.stop();
    const final = watcher.status();
    line.done(statusText(final));
    batch.close();
    removeSignals();
    line.log(`stopped on ${signal}; workspace closed`);
    if (flags.json) console.log(JSON.stringify(final));
    return ExitCode.ok;
  },
};
export default command;
