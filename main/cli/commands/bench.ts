import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';

const help = `Usage: postfocus bench [options]   (= npm run bench)

Inference benchmark on simulated OOF crops with ground truth, one run, same
network and inputs for every method: classifier frames/s (batch 1 and 32);
restoration s/frame, network evaluations, PSNR / PCC / edge-PCC for the
PostFocus reference (1000-step ancestral × 5, one after another), DDIM-S × 5
batched, warm-started DDIM and the one-step student (when the manifest lists
one); speed-up over the reference on small crops and the compute floor (Conv
FLOPs from the ONNX graph ÷ measured FLOP/s); then s/frame of every method at
the real frame size (the reference estimated there from one evaluation).

Options:
  --models <dir>       models folder (default: the shipped models)
  --size <px>          crop side (default 64)
  --crops <n>          OOF crops restored by every method (default 2)
  --ensemble <n>       samples per frame (default 5)
  --steps <list>       DDIM step counts, e.g. 5,10,25 (default 5,10,25)
  --warm-steps <list>  warm-start DDIM step counts (default 3,5)
  --warm-t <list>      warm-start timesteps (default 200,400)
  --threads <n>        ONNX Runtime threads (default 1; 0 = runtime default)
  --seed <n>           simulation seed of the crops (default 3)
  --frame-size <px>    side of the real-frame-size table (default 281; 0 skips it)
  --frame-crops <n>    OOF frames timed at that size (default 1)
  --frame-threads <n>  ONNX Runtime threads for that table (default 0: the runtime's own, all
                       cores, as the station's restoration worker)
  --json               one JSON document on stdout (top-level "speedup": the station default's)

Memory bench (instead of the speed bench):
  --memory <n>         process n synthetic 64² frames through ingest + pipeline + worker
                       and report the peak RSS of the main process and of the worker
  --oof-fraction <x>   fraction of frames written out of focus (default 0.02)
  --sampler <name>     restoration sampler (default: the station default)
  --restore-steps <n>  restoration steps (default: the station default)`;

/**
 * Runs the benchmark bundle (dist/bench/inference.js, built with the CLI) in its own
 * process: the app does not import bench/, and a packaged app ships without it.
 */
function runBenchmark(argv: string[]): Promise<number> {
  const script = fileURLToPath(new URL('../bench/inference.js', import.meta.url));
  if (!existsSync(script)) {
    throw new Error(`the benchmark is not built (${script} missing): run it from a source checkout (npm run bench)`);
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...argv], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const command: Command = {
  summary: 'benchmark classification and restoration samplers (speed-up vs PostFocus)',
  help,
  async run(argv) {
    parseArgs(argv, {
      models: { type: 'string' }, size: { type: 'string' }, crops: { type: 'string' }, ensemble: { type: 'string' },
      steps: { type: 'string' }, 'warm-steps': { type: 'string' }, 'warm-t': { type: 'string' }, threads: { type: 'string' },
      seed: { type: 'string' }, 'frame-size': { type: 'string' }, 'frame-crops': { type: 'string' }, 'frame-threads': { type: 'string' }, json: { type: 'boolean' }, memory: { type: 'string' }, 'oof-fraction': { type: 'string' },
      sampler: { type: 'string' }, 'restore-steps': { type: 'string' },
    });
    return runBenchmark(argv);
  },
};
export default command;
