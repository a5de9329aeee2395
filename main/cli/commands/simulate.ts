import { checkAcquisitionTarget } from '../../acquisition/location.js';
import { resolve } from 'node:path';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';
import { AcquisitionOptionError, writeAcquisition } from '../../simulation/node/acquisition-writer.js';
import { writeContactSheet } from '../../simulation/node/contact-sheet.js';
import { defaultThreads, servedAsSimulationWorker } from '../../simulation/node/pool.js';
import type { SimulatedLayout } from '../../simulation/layout.js';

const HELP = `Usage: postfocus simulate <acquisition-dir> --truth <dir> [options]

Virtual phase-contrast microscope: writes a nanowell time-lapse acquisition with
physical defocus (angular-spectrum propagation, Zernike phase ring, camera noise)
and its ground truth in a separate folder.

Options:
  --truth DIR        ground-truth folder (required; must not be inside the acquisition)
  --blocks N         blocks (default 2)
  --wells N          nanowells per block (default 36)
  --frames N         time points per nanowell (default 73)
  --rate R           write live at R frames/s (t-major across nanowells, each file
                     in chunks like a camera); default: as fast as possible
  --prerender        with --rate: render every frame first (held in memory), then
                     write them live; the live phase costs no simulation CPU, as a
                     microscope writing from its own computer (bench:live uses it)
  --layout L         timing (default): B<b>/images/crops_8bit_s/<well>CH0/imgNo<well#>CH0_t<k>.tif
                     micromanager: Pos<NNN>/img_channel000_position<NNN>_time<000000000>_z000.tif
  --preset P         nalm6 (default; 6–15% of videos with OOF episodes) or skov3 (14–96%)
  --oof-fraction F   instead of the preset's episodes: this fraction of frames OOF (0–1;
                     each video its own share around it, in runs of the preset's lengths)
  --size N           crop edge in pixels (default 281, 0.325 µm/px)
  --bits 8|16        sample depth (default 8)
  --seed N           random seed (default 1)
  --threads N        worker threads (default: cores, at most 2)
  --json             print one JSON summary on stdout

Ground truth: <truth>/truth.csv (path,dz_um,oof,focus_path,mask_path,block,well,t,kind,oof_video),
<truth>/focus/<path> (in-focus twin), <truth>/masks/<path> (labels), <truth>/truth.json.
Labels: in-focus |dz| ≤ 2.5 µm, out of focus 5 ≤ |dz| ≤ 10 µm, oof = 1 iff |dz| ≥ 5 µm.`;

/** Printed on stderr when the first frame is written live (bench:live starts its clock there). */
export const LIVE_START_LINE = 'simulate: writing live';

const command: Command = {
  summary: 'simulate a phase-contrast nanowell acquisition with defocus and ground truth',
  help: HELP,
  async run(argv) {
    if (await servedAsSimulationWorker()) return ExitCode.ok;
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('truth', 'blocks', 'wells', 'frames', 'rate', 'layout', 'preset', 'oof-fraction', 'size', 'bits', 'seed', 'threads'),
      ...booleanFlags('json', 'prerender'),
      // Hidden: renders the simulator contact sheet (PNG) and exits.
      ...stringFlags('contact-sheet'),
    });
    const sheet = stringFlag(flags, 'contact-sheet');
    if (sheet !== undefined) {
      writeContactSheet(resolve(sheet));
      console.log(flags.json ? JSON.stringify({ contact_sheet: resolve(sheet) }) : `wrote ${resolve(sheet)}`);
      return ExitCode.ok;
    }
    if (positionals.length !== 1) throw new UsageError('expected exactly one acquisition folder');
    const truth = stringFlag(flags, 'truth');
    if (truth === undefined) throw new UsageError('--truth <dir> is required (ground truth is kept out of the acquisition)');
    checkAcquisitionTarget(positionals[0]!);
    const rateRaw = stringFlag(flags, 'rate');
    let rate: number | undefined;
    if (rateRaw !== undefined) {
      rate = Number(rateRaw);
      if (rateRaw.trim() === '' || !Number.isFinite(rate) || rate <= 0) throw new UsageError(`--rate must be a positive number of frames/s, got "${rateRaw}"`);
    }
    const bits = numberFlag(flags, 'bits', 8, { integer: true });
    if (bits !== 8 && bits !== 16) throw new UsageError(`--bits must be 8 or 16, got ${bits}`);
    const json = flags.json === true;
    let last = 0;
    try {
      const summary = await writeAcquisition({
        acquisitionDir: positionals[0]!,
        truthDir: truth,
        blocks: numberFlag(flags, 'blocks', 2, { min: 1, max: 999, integer: true }),
        wells: numberFlag(flags, 'wells', 36, { min: 1, max: 999, integer: true }),
        frames: numberFlag(flags, 'frames', 73, { min: 1, max: 100000, integer: true }),
        rate,
        layout: (stringFlag(flags, 'layout') ?? 'timing') as SimulatedLayout,
        preset: (stringFlag(flags, 'preset') ?? 'nalm6') as 'nalm6' | 'skov3',
        ...(flags['oof-fraction'] !== undefined ? { oofFraction: numberFlag(flags, 'oof-fraction', 0, { min: 0, max: 1 }) } : {}),
        size: numberFlag(flags, 'size', 281, { min: 16, max: 2048, integer: true }),
        bits,
        seed: numberFlag(flags, 'seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true }),
        threads: numberFlag(flags, 'threads', defaultThreads(), { min: 1, max: 64, integer: true }),
        entryUrl: import.meta.url,
        command: 'simulate',
        prerender: flags.prerender === true,
        onLiveStart: () => void process.stderr.write(`${LIVE_START_LINE}\n`),
        onProgress(done, total) {
          const now = Date.now();
          if (now - last > 2000 || done === total) {
            last = now;
            process.stderr.write(`simulate: ${done}/${total} frames\n`);
          }
        },
      });
      if (json) console.log(JSON.stringify(summary));
      else {
        console.log(
          `wrote ${summary.frames_written} frames (${summary.oof_frames} out of focus; ${summary.oof_videos}/${summary.videos} videos with OOF episodes) ` +
            `to ${summary.acquisition} in ${summary.seconds.toFixed(1)} s (${summary.frames_per_second.toFixed(1)} frames/s); truth in ${summary.truth}`,
        );
      }
      return ExitCode.ok;
    } catch (err) {
      if (err instanceof AcquisitionOptionError) throw new UsageError(err.message);
      throw err;
    }
  },
};
export default command;
