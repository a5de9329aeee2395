import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assembleModelsFolder, FinetuneError, pythonProblem, runFinetune, writeWorkspacePairs, type FinetuneKind } from '../../pipeline/finetune.js';
import { defaultModelsDir } from '../../pipeline/paths.js';
import { readManifest } from '../../inference/model-registry.js';
import { closeDb, DATABASE_FILE, openWorkspaceDb } from '../../store/database.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus finetune <workspace | pairs-folder> [options]

Fine-tunes a restorer — the one-shot U-Net (default) or the conditional DDPM
(--kind ddpm, the model of the DDIM samplers and of the student's first estimate) — on this station's own pairs and
writes a new model version into a models folder (the other models copied beside it, a
manifest with its sha256 and held-out metrics), which the station uses with
\`--models <folder>\` (process, watch, serve). Every restoration row names the
model id and sha256 that made it.

Pairs come from
  a workspace: a calibration z-stack ingested with one field per nanowell and
    its planes as time points (e.g. --layout pattern), labelled in the app
    (I / O) or with \`postfocus calibrate --labels\`: each field's out-of-focus
    planes against its in-focus plane, plus identical in-focus pairs;
  a pairs folder in the simulator's format (postfocus simulate-pairs).
A seeded quarter of the pairs is held out: the report gives PSNR / MAE against
the in-focus plane of the input, the base model and the fine-tuned one on them
(the DDPM as DDIM-5 restores with it, mean of 5 members). The default sampler, the
one-step student, was distilled from the shipped DDPM, so a fine-tuned DDPM's folder
leaves it out: the station restores with DDIM-5 and the fine-tuned DDPM there, as it
was scored (a new student needs \`npm run models:train\`'s distillation).

Needs /usr/bin/python3 (or --python) with PyTorch and onnx.

Options:
  --kind unet|ddpm  which restorer (default unet; ddpm is slower to train and evaluate)
  --out <folder>    models folder to write (default: <workspace>/models/<id>; required for a pairs folder)
  --id <id>         model id (default: pf-<kind>-v1-ft-<UTC date-time>)
  --steps <n>       fine-tuning steps (default 300)
  --models <folder> base models folder (default: the shipped models)
  --python <path>   Python interpreter (default /usr/bin/python3)
  --threads <n>     PyTorch threads (default 1)
  --json            one JSON document on stdout`;

/** The file of a models folder's model of one kind (from its manifest). */
function baseModelFile(modelsDir: string, kind: FinetuneKind): string {
  const entry = readManifest(modelsDir).models.find((m) => m.kind === kind);
  if (!entry) throw new Error(`${modelsDir} has no ${kind} model to fine-tune`);
  return join(modelsDir, entry.file);
}

const command: Command = {
  summary: 'fine-tune a restorer (U-Net or DDPM) on the station\'s calibration pairs (new hash-checked model version)',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('out', 'kind', 'id', 'steps', 'models', 'python', 'threads'),
      ...booleanFlags('json'),
    });
    if (positionals.length !== 1) throw new UsageError('expected one workspace or pairs folder');
    const source = resolve(positionals[0]!);
    const isWorkspace = existsSync(join(source, DATABASE_FILE));
    const isPairs = existsSync(join(source, 'index.json'));
    if (!isWorkspace && !isPairs) throw new Error(`${source} is neither a workspace (${DATABASE_FILE}) nor a pairs folder (index.json)`);
    const kind = (stringFlag(flags, 'kind') ?? 'unet') as FinetuneKind;
    if (kind !== 'unet' && kind !== 'ddpm') throw new UsageError(`--kind must be unet or ddpm, got "${kind}"`);
    const id = stringFlag(flags, 'id') ?? `pf-${kind}-v1-ft-${new Date().toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(id)) throw new UsageError(`--id must be letters, digits, . _ - (at most 64), got "${id}"`);
    const outArg = stringFlag(flags, 'out');
    if (!outArg && !isWorkspace) throw new UsageError('--out is required with a pairs folder');
    const out = resolve(outArg ?? join(source, 'models', id));
    if (existsSync(join(out, 'manifest.json'))) throw new Error(`${out} already holds a models folder; choose another --out or --id`);
    const steps = numberFlag(flags, 'steps', 300, { min: 1, max: 100_000, integer: true });
    const threads = numberFlag(flags, 'threads', 1, { min: 1, max: 64, integer: true });
    const python = stringFlag(flags, 'python') ?? '/usr/bin/python3';
    const baseModels = resolve(stringFlag(flags, 'models') ?? defaultModelsDir());
    const log = (m: string) => console.error(m);

    const problem = pythonProblem(python);
    if (problem) throw new FinetuneError(`cannot fine-tune here: ${problem}`);
    mkdirSync(out, { recursive: true });
    let pairsDir = source;
    let pairs: { count: number; size: number; fields?: number; identical?: number } | null = null;
    if (isWorkspace) {
      const db = openWorkspaceDb(source, { readonly: true });
      try {
        pairsDir = join(out, 'pairs');
        pairs = await writeWorkspacePairs(db, pairsDir);
        log(`pairs: ${pairs.count} from ${pairs.fields} field(s) (${pairs.identical} identical), ${pairs.size} px`);
      } catch (err) {
        rmSync(out, { recursive: true, force: true });
        throw err;
      } finally {
        closeDb(db);
      }
    }
    // Another base folder: fine-tune its model of that kind (the shipped one is checked against the CI reference outputs).
    const baseFile = stringFlag(flags, 'models') ? baseModelFile(baseModels, kind) : undefined;
    const report = await runFinetune(python, { pairs: pairsDir, out, id, kind, steps, threads, ...(baseFile ? { base: baseFile } : {}) }, log);
    const model = assembleModelsFolder(baseModels, out, report, `${id}.onnx`);
    const h = report.heldout;
    const summary = { id: model.id, sha256: model.sha256, models: out, leftOut: model.leftOut, pairs: report.pairs, training: report.training, heldout: h, use: `--models ${out}` };
    if (flags.json) console.log(JSON.stringify(summary));
    else {
      const fmt = (k: 'input' | 'base' | 'finetuned', part: 'defocused' | 'identical') => {
        const m = h[k][part];
        return m ? `${m.psnr_db === null ? '∞' : m.psnr_db} dB` : '–';
      };
      console.log(`${model.id} (sha256 ${model.sha256.slice(0, 12)}…) written to ${out}`);
      console.log(`held-out station pairs (${report.pairs.heldout} of ${report.pairs.count}), PSNR to the in-focus plane:`);
      console.log(`  defocused (n=${h.input.defocused?.n ?? 0}): input ${fmt('input', 'defocused')}, base ${fmt('base', 'defocused')}, fine-tuned ${fmt('finetuned', 'defocused')}`);
      console.log(`  in focus, must stay unchanged (n=${h.input.identical?.n ?? 0}): base ${fmt('base', 'identical')}, fine-tuned ${fmt('finetuned', 'identical')}`);
      for (const m of model.leftOut) console.log(`left out ${m.id} (${m.kind}): ${m.reason}; the station restores without it from this folder`);
      console.log(`use it: postfocus process <acquisition> -w <workspace>${kind === 'unet' ? ' --sampler unet' : ''} --models ${out}`);
    }
    return ExitCode.ok;
  },
};
export default command;
