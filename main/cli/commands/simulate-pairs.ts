import { resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';
import { defaultThreads, servedAsSimulationWorker } from '../../simulation/node/pool.js';
import { writePairs, type PairsIndex } from '../../simulation/node/pairs-writer.js';
import { writePairsAcquisition } from '../../simulation/node/pairs-acquisition.js';

const HELP = `Usage: postfocus simulate-pairs <dir> [--n 20000] [--size 96] [--seed N] [--varied train|holdout] [--acquisition <dir>] [--threads N] [--force] [--json]

Writes training pairs from the virtual microscope into <dir>:
  oof.f32     float32 little-endian, n × size × size: noisy input (defocused, or
              identical to the target for 25% of pairs)
  focus.f32   float32 little-endian, n × size × size: in-focus twin (Δz = 0,
              same cells, same noise draws)
  index.json  {"version":1,"size","count","seed","pixel_size_um":0.325,
              "oof_threshold_um":5,"files":{...},"items":[{"dz_um","oof","kind","identical"}]}
Intensities are 8-bit values / 255. Mix: 25% identical in-focus, ~15% near focus
(0 < |Δz| ≤ 2.5 µm), ~60% out of focus (5 ≤ |Δz| ≤ 10 µm, oof = 1).

 --varied train: randomised microscopes and scenes instead of the TIMING 20×
phase-contrast optics: phase contrast and bright field (Köhler, partially
coherent), 10×/20×/40× objectives at 0.15–1 µm/px, random condenser, camera
noise/offset/bit depth (8/12/16, values / (2^bits − 1)), illumination gradients;
nanowells, empty nanowells, dense monolayers, sparse fields, debris, scratches.
Δz is drawn in depths of field (DOF) of each pair's optics; OOF iff |Δz| ≥ 0.885
DOF (5 µm at the reference optics) and the defocus visibly changes the frame.
Items add dz_dof, dof_um, oof_dz, modality, objective, profile, pixel_size_um,
na, condenser_na, bits; "kind" is the scene type.
 --varied holdout: a microscope no model trains on (bright field, 60×/0.8–0.9
air, 0.09–0.12 µm/px), for calibration checks.

Options:
  --acquisition <dir>  also write the pairs as an acquisition (TIMING layout; one
                nanowell per pair: t1 = input, t2 = in-focus twin; the pair's bit
                depth kept) with labels.csv (path,label,dz_um,dz_dof,...) for
                \`postfocus calibrate --labels\`. Existing pairs in <dir> with the same
                --n/--size/--seed/--varied are reused.
  --n N         number of pairs (default 20000)
  --size N      patch edge in pixels (default 96)
  --seed N      random seed (default 1)
  --threads N   worker threads (default: cores, at most 2)
  --force       replace existing pair files in <dir>
  --json        print one JSON summary on stdout`;

const command: Command = {
  summary: 'write simulated in-focus/out-of-focus training pairs (float32 arrays)',
  help: HELP,
  async run(argv) {
    if (await servedAsSimulationWorker()) return ExitCode.ok;
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('n', 'size', 'seed', 'threads', 'varied', 'acquisition'),
      ...booleanFlags('force', 'json'),
    });
    if (positionals.length !== 1) throw new UsageError('expected exactly one output folder');
    const count = numberFlag(flags, 'n', 20000, { min: 1, max: 10_000_000, integer: true });
    const size = numberFlag(flags, 'size', 96, { min: 8, max: 1024, integer: true });
    const seed = numberFlag(flags, 'seed', 1, { min: 0, max: 2 ** 32 - 1, integer: true });
    const threads = numberFlag(flags, 'threads', defaultThreads(), { min: 1, max: 64, integer: true });
    const variedFlag = flags.varied;
    if (variedFlag !== undefined && variedFlag !== 'train' && variedFlag !== 'holdout') {
      throw new UsageError(`--varied must be 'train' or 'holdout', got '${String(variedFlag)}'`);
    }
    const varied = variedFlag as 'train' | 'holdout' | undefined;
    if (varied && size > 96) throw new UsageError(`--varied supports --size up to 96, got ${size}`);
    const dir = resolve(positionals[0]!);
    const json = flags.json === true;
    let lastReport = 0;
    const acquisition = stringFlag(flags, 'acquisition');
    if (acquisition && !flags.force && samePairs(dir, { count, size, seed, variant: varied ? `varied-${varied}` : undefined })) {
      const r = writePairsAcquisition(dir, resolve(acquisition));
      console.log(json ? JSON.stringify({ dir, reused: true, acquisition: resolve(acquisition), ...r }) : `reused the pairs in ${dir}; wrote ${r.frames} frames and ${r.labels}`);
      return ExitCode.ok;
    }
    const result = await writePairs(dir, {
      count,
      size,
      seed,
      threads,
      entryUrl: import.meta.url,
      command: 'simulate-pairs',
      force: flags.force === true,
      varied,
      onProgress(done, total) {
        const now = Date.now();
        if (now - lastReport > 2000 || done === total) {
          lastReport = now;
          process.stderr.write(`simulate-pairs: ${done}/${total} pairs\n`);
        }
      },
    });
    const acq = acquisition ? writePairsAcquisition(dir, resolve(acquisition)) : undefined;
    if (acq && !json) console.log(`wrote ${acq.frames} frames and ${acq.labels}`);
    if (json) console.log(JSON.stringify(acq ? { ...result, acquisition: resolve(acquisition!), ...acq } : result));
    else {
      console.log(
        `wrote ${result.count} pairs of ${size}×${size} to ${dir} in ${result.seconds.toFixed(1)} s ` +
          `(${result.pairsPerSecond.toFixed(0)} pairs/s, ${result.threads} threads; ` +
          `oof ${(100 * result.oofFraction).toFixed(1)}%, identical ${(100 * result.identicalFraction).toFixed(1)}%)`,
      );
    }
    return ExitCode.ok;
  },
};
export default command;

/** Whether <dir> already holds pairs of these parameters (so --acquisition can reuse them). */
function samePairs(dir: string, want: { count: number; size: number; seed: number; variant: string | undefined }): boolean {
  const path = join(dir, 'index.json');
  if (!existsSync(path)) return false;
  const index = JSON.parse(readFileSync(path, 'utf8')) as PairsIndex;
  return index.count === want.count && index.size === want.size && index.seed === want.seed && index.variant === want.variant;
}
