/**
 * `postfocus serve <workspace>`: runs the station core with the web shell, so
 * the review app works in any browser on this machine (loopback only unless
 * --allow-remote). Prints the URL with its access token.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { userInfo } from 'node:os';
import { applyProfileToWorkspace } from '../../pipeline/calibrate.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import type { Command } from '../command.js';
import { openStation } from '../../station/open.js';
import { DEFAULT_MAX_PIXELS, parseLayoutChoice, parseMaxPixels } from '../../acquisition/options.js';
import { asUsage } from '../acquisition-args.js';
import { onStopSignals } from '../signals.js';
import { SAMPLERS, type SamplerName } from '../../inference/protocol.js';
import { RESTORE_DEFAULTS } from '../../pipeline/defaults.js';
import { isLoopbackHost, loadServeIdentity, newToken, saveServeIdentity, startWebShell } from '../../server/web-shell.js';

const HELP = `Usage: postfocus serve <workspace> [options]

Runs the station on <workspace> and serves the review app over loopback HTTP.
Open the printed URL (it carries a random access token) in a browser.

Options:
  --acq <dir>        acquisition folder to watch live (never written)
  --layout <name>    with --acq: auto (default) | timing | micromanager | nikon | stack | pattern
  --pattern <p>      with --acq: file-name pattern with {block} {well} {t} {channel}
  --channel <c>      with --acq: only this channel (index or name as the file names give it),
                     e.g. the phase-contrast channel of a multi-channel acquisition
  --models <dir>     models folder (default: the app's models/)
  --no-pipeline      review only: do not classify or restore
  --profile <file>   microscope profile (postfocus calibrate --export) to judge focus with
  --max-pixels <n|WxH>  refuse larger frames at ingest and for display (default ${Math.sqrt(DEFAULT_MAX_PIXELS)}x${Math.sqrt(DEFAULT_MAX_PIXELS)})
  --sampler <name>   restoration sampler: ${SAMPLERS.join(' | ')} (default ${RESTORE_DEFAULTS.sampler};
                     ddim restores more faithfully, about 15× slower)
  --restore-steps <n>  sampler steps per restoration (default: the sampler's)
  --ensemble <n>     ensemble members per restoration (default: the pipeline's)
  --port <n>         port (default: the one this workspace used last, kept in
                     <workspace>/serve.json with the access token, else a free one;
                     a restarted server keeps its address, so open tabs reconnect)
  --host <addr>      address to bind (default 127.0.0.1)
  --allow-remote     allow a non-loopback --host (the token still applies)
  --json             print {"url": ...} on one line instead of text
Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.`;

/** Folder of this package (dist/main/cli.js → package root). */
function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

const command: Command = {
  summary: 'serve the review app in a browser (loopback web shell)',
  help: HELP,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('acq', 'layout', 'pattern', 'channel', 'models', 'max-pixels', 'sampler', 'restore-steps', 'ensemble', 'port', 'host', 'profile'),
      ...booleanFlags('no-pipeline', 'allow-remote', 'json'),
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one workspace folder');
    const workspace = positionals[0]!;
    const askedPort = flags.port === undefined ? null : numberFlag(flags, 'port', 0, { min: 0, max: 65535, integer: true });
    const host = stringFlag(flags, 'host') ?? '127.0.0.1';
    if (!isLoopbackHost(host) && flags['allow-remote'] !== true) {
      throw new UsageError(`refusing to serve on ${host}: only loopback addresses are allowed without --allow-remote`);
    }
    const restore: { sampler?: SamplerName; steps?: number; ensemble?: number } = {};
    const sampler = stringFlag(flags, 'sampler');
    if (sampler !== undefined) {
      if (!SAMPLERS.includes(sampler as SamplerName)) throw new UsageError(`--sampler must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
      restore.sampler = sampler as SamplerName;
    }
    if (flags['restore-steps'] !== undefined) restore.steps = numberFlag(flags, 'restore-steps', 10, { min: 1, max: 1000, integer: true });
    if (flags.ensemble !== undefined) restore.ensemble = numberFlag(flags, 'ensemble', 5, { min: 1, max: 64, integer: true });
    const root = packageRoot();
    const rendererDir = join(root, 'dist', 'renderer');
    if (!existsSync(rendererDir)) {
      throw new Error(`the renderer is not built (${rendererDir} missing): run npm run build:renderer`);
    }
    const maxPixels = asUsage(() => parseMaxPixels(stringFlag(flags, 'max-pixels')));
    const acquisition = stringFlag(flags, 'acq');
    const layoutChoice = asUsage(() => parseLayoutChoice(stringFlag(flags, 'layout'), stringFlag(flags, 'pattern'), stringFlag(flags, 'channel')));
    if (acquisition !== undefined && !existsSync(acquisition) && !flags.json) {
      console.error(`waiting for ${acquisition} to appear (the acquisition has not started yet)`);
    }
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    const profileFile = stringFlag(flags, 'profile');
    if (profileFile) {
      const p = applyProfileToWorkspace(resolve(workspace), resolve(profileFile), userInfo().username, stringFlag(flags, 'models') ?? `${root}/models`);
      if (!flags.json) console.error(`microscope profile ${profileFile}: ${p.applied ? 'applied' : 'already in force'}; ${p.summary}`);
    }
    const station = await openStation({
      workspace,
      modelsDir: stringFlag(flags, 'models') ?? `${root}/models`,
      appVersion: pkg.version,
      ...(acquisition !== undefined ? { acquisition, layoutChoice } : {}),
      maxPixels,
      ...(Object.keys(restore).length ? { restore } : {}),
      ...(flags['no-pipeline'] ? { noPipeline: 'pipeline disabled (--no-pipeline)' } : {}),
    });
    // The same port and token as the last run on this workspace, so an open review tab reconnects by itself.
    const stored = loadServeIdentity(workspace);
    const token = stored?.token ?? newToken();
    const start = (port: number) =>
      startWebShell({ api: station, rendererDir, host, port, token, allowRemote: flags['allow-remote'] === true });
    let shell;
    try {
      const preferred = askedPort ?? stored?.port ?? 0;
      try {
        shell = await start(preferred);
      } catch (err) {
        // The stored port is taken (another program, or a second server on this workspace): any free one.
        if (askedPort !== null || preferred === 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        if (!flags.json) console.error(`port ${preferred} (this workspace's last) is in use; serving on a free port instead`);
        shell = await start(0);
      }
    } catch (err) {
      await station.close();
      throw err;
    }
    // Remember a first identity, or a port the operator chose; a fallback port is not kept (the usual one may be back).
    if (!stored || (askedPort !== null && stored.port !== shell.port)) {
      const problem = saveServeIdentity(workspace, { port: shell.port, token });
      if (problem && !flags.json) console.error(`note: cannot keep the port and token in the workspace (${problem}); a restart gets new ones`);
    }
    await station.start();
    if (flags.json) console.log(JSON.stringify({ url: shell.url, port: shell.port, workspace }));
    else console.log(`PostFocus Station review app: ${shell.url}\n(Ctrl-C to stop)`);

    // First signal: close in order (the pipeline bounds its wait on the worker); a second exits at once.
    return await new Promise<number>((done) => {
      const removeSignals = onStopSignals((signal) => {
        if (!flags.json) console.error(`\n${signal}: stopping… (${signal} again to exit now)`);
        void (async () => {
          let code = 0;
          try {
            await shell.close();
            await station.close();
          } catch (err) {
            console.error(`postfocus serve: error while stopping: ${(err as Error).message}`);
            code = 1;
          }
          removeSignals();
          done(code);
        })();
      });
    });
  },
};
export default command;
