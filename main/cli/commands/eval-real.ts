import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Image } from '../../imaging/image.js';
import { edgePcc, pcc, psnr } from '../../imaging/metrics/quality.js';
import { effectiveFullScale, maxSample } from '../../imaging/sample.js';
import { probeTiff, readTiffPage, type TiffPage } from '../../imaging/tiff-read.js';
import { writeTiff } from '../../imaging/tiff-write.js';
import { InferenceEngine } from '../../inference/engine.js';
import { PROTOCOL_VERSION } from '../../inference/protocol.js';
import { RESTORE_DEFAULTS } from '../../pipeline/defaults.js';
import { defaultModelsDir } from '../../pipeline/paths.js';
import type { FocusMetrics } from '../../common/domain.js';
import { cropGrid, judgeInForce, labelsFromNames, noiseSigma, overlap, parseLabelsCsv, registerTranslation, scoreJudgements, type CropJudgement, type LabelledFrame } from '../../pipeline/real-eval.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const HELP = `Usage: postfocus eval-real <dir> [--labels <csv>] [--all-in-focus] [--crop 281]
                         [--in-focus-max-um 2.5] [--oof-min-um 5] [--restore N]
                         [--bit-depths] [--models <dir>] [--threads N] [--out <file.json>] [--json]

Scores the station's models on labelled REAL microscope images (checks, never
training or tuning data). <dir> is only read. Labels, in order of precedence:
  --labels <csv>   columns path,label[,dz][,field] (path relative to the CSV's
                   folder; label in_focus | oof; dz in µm; field groups the planes
                   of one z-stack; other columns ignored)
  --all-in-focus   every TIFF in <dir> is in focus (specificity only)
  (default)        a z-stack by file name: <field>_dz<±µm>[um].tif, e.g.
                   well3_dz-10.tif; in focus iff |dz| ≤ --in-focus-max-um,
                   OOF iff |dz| ≥ --oof-min-um, planes in between are left out
Files are recognised by content (a TIFF named .png is read as a TIFF); frames in
a field are taken in file-name order (time or z order).

Each frame is cut into non-overlapping --crop × --crop crops (as a station cuts
nanowells; a smaller frame is one crop) and every crop is judged by the
classifier exactly as the station judges a frame (same decoding and range).
Reported: accuracy, balanced accuracy, AUC of p(OOF), specificity on in-focus
crops, sensitivity, accuracy per |dz| bin, and each crop position as a video
under the usability rule (> 5% OOF frames or 2 in a row = unusable). The same
again for the judgement in force, as the station judges a well's series: each
crop position a nanowell, its frames in file order, the classifier's p(OOF) read
with the temporal rule (docs/focus-judgement.md).

--restore N restores up to N crops (default sampler): in-focus crops report how
much restoration changed them (RMS in DN, as a multiple of the input's camera
noise σ estimated by Immerkær's method, and PSNR against the input); OOF crops
of a field with an in-focus plane report PSNR / PCC / edge-PCC of input and
restoration against that plane after translation registration.

--bit-depths also stores every 16-bit crop as 12-bit-in-16 and as 8-bit (the run's
range mapped onto 0–4095 / 0–255; for a full-range 16-bit run that drops the low
4 / 8 bits), judges each version as its own run, and reports the share
of crops whose judgement is identical across the three.`;

/** A crop written to the temporary workspace; fullScale: the run's effective full scale. */
interface Crop {
  frame: number;
  row: number;
  col: number;
  file: string;
  bits: number;
  fullScale: number;
}

interface FrameInfo extends LabelledFrame {
  abs: string;
  page: TiffPage;
}

const command: Command = {
  summary: 'score the models on labelled real microscope images (z-stacks, in-focus sets)',
  help: HELP,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('labels', 'crop', 'in-focus-max-um', 'oof-min-um', 'restore', 'models', 'threads', 'out'),
      ...booleanFlags('all-in-focus', 'bit-depths', 'json'),
    });
    if (positionals.length !== 1) throw new UsageError('expected one data folder');
    const dir = resolve(positionals[0]!);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`${dir} is not a folder`);
    const crop = numberFlag(flags, 'crop', 281, { min: 16, max: 8192, integer: true });
    const restoreN = numberFlag(flags, 'restore', 0, { min: 0, max: 100000, integer: true });
    const threads = numberFlag(flags, 'threads', 1, { min: 0, max: 64, integer: true });
    const json = flags.json === true;
    const log = (m: string): void => void process.stderr.write(`eval-real: ${m}\n`);

    // --- labels
    let labelled: LabelledFrame[];
    let skipped: string[] = [];
    let base = dir;
    const labelsFile = stringFlag(flags, 'labels');
    if (labelsFile) {
      const csv = resolve(labelsFile);
      base = dirname(csv);
      labelled = parseLabelsCsv(readFileSync(csv, 'utf8'), csv);
    } else {
      const tiffs = await listTiffs(dir);
      if (tiffs.length === 0) throw new UsageError(`${dir} holds no readable TIFF files`);
      if (flags['all-in-focus'] === true) {
        labelled = tiffs.map((path) => ({ path, label: 'in_focus' as const, dzUm: null, field: dirname(path) === '.' ? '' : dirname(path) }));
      } else {
        const r = labelsFromNames(tiffs, {
          inFocusMaxUm: numberFlag(flags, 'in-focus-max-um', 2.5, { min: 0 }),
          oofMinUm: numberFlag(flags, 'oof-min-um', 5, { min: 0 }),
        });
        labelled = r.frames;
        skipped = r.skipped;
        if (labelled.length === 0) {
          throw new UsageError(`${dir}: no file names with dz<±µm> (e.g. field1_dz-10.tif); use --labels <csv> or --all-in-focus`);
        }
      }
    }
    labelled = [...labelled].sort((a, b) => a.field.localeCompare(b.field) || a.path.localeCompare(b.path, undefined, { numeric: true }));

    // --- decode, crop into a temporary workspace (never the data folder)
    const frames: FrameInfo[] = [];
    for (const f of labelled) {
      const abs = resolve(base, f.path);
      frames.push({ ...f, abs, page: await readTiffPage(abs, 0) });
    }
    const tmp = mkdtempSync(join(tmpdir(), 'postfocus-eval-real-'));
    try {
      const crops: Crop[] = [];
      // One run: the effective full scale of the largest frame applies to all (a dim frame is not brightened more).
      const runScale = Math.max(
        ...frames.map((f) => (f.page.data instanceof Float32Array ? 1 : effectiveFullScale(f.page.bits === 8 ? 8 : 16, { observedMax: maxSample(f.page.data) }))),
      );
      frames.forEach((f, i) => {
        for (const c of cropGrid(f.page.width, f.page.height, crop)) {
          const w = Math.min(crop, f.page.width);
          const h = Math.min(crop, f.page.height);
          const file = join(tmp, `f${i}_r${c.row}_c${c.col}.tif`);
          writeTiff(file, { width: w, height: h, data: cut(f.page, c.x0, c.y0, w, h) });
          crops.push({ frame: i, row: c.row, col: c.col, file, bits: f.page.bits, fullScale: f.page.data instanceof Float32Array ? 1 : runScale });
        }
      });
      const modelsDir = resolve(stringFlag(flags, 'models') ?? defaultModelsDir());
      log(`${frames.length} frames → ${crops.length} crops of ${crop}×${crop}; models ${modelsDir}`);
      const engine = await InferenceEngine.load({ type: 'init', id: 0, protocol: PROTOCOL_VERSION, modelsDir, workspace: tmp, threads });
      try {
        if (!engine.capabilities.classify) throw new Error(`no usable classifier in ${modelsDir}`);
        const judgements: CropJudgement[] = [];
        const metrics: FocusMetrics[] = [];
        let modelId = '';
        for (let k = 0; k < crops.length; k += 32) {
          const chunk = crops.slice(k, k + 32);
          const res = await engine.classify({
            type: 'classify',
            id: k + 1,
            items: chunk.map((c, j) => ({ frameId: k + j, path: c.file, page: 0, target: 'original' as const })),
          });
          modelId = res.modelId;
          res.results.forEach((r, j) => {
            const c = chunk[j]!;
            if (!r.ok) throw new Error(`${frames[c.frame]!.abs}: ${r.error}`);
            const f = frames[c.frame]!;
            judgements.push({ frame: c.frame, field: f.field, row: c.row, col: c.col, label: f.label, dzUm: f.dzUm, pOof: r.pOof, oof: r.oof });
            metrics.push(r.metrics);
          });
          log(`judged ${Math.min(k + 32, crops.length)}/${crops.length}`);
        }
        const score = scoreJudgements(judgements);
        // As the station judges: each crop position a well, its frames the series (model + temporal rule).
        const inForce = judgeInForce(judgements, metrics);
        const scoreInForce = scoreJudgements(inForce);
        const bitDepths = flags['bit-depths'] === true ? await bitDepthCheck(crops, judgements, modelsDir, threads, tmp, log) : null;
        const restoration = restoreN > 0 ? await restoreCrops(engine, crops, frames, judgements, restoreN, tmp, log) : null;
        const report = {
          data: dir,
          caveat: 'real images are checks only: never used to train or tune the models',
          labels: labelsFile ? relative(process.cwd(), resolve(labelsFile)) : flags['all-in-focus'] ? 'all-in-focus' : 'z-stack file names',
          skipped,
          crop,
          classifier: modelId,
          frames: frames.map((f) => ({
            path: f.path,
            label: f.label,
            dzUm: f.dzUm,
            field: f.field,
            width: f.page.width,
            height: f.page.height,
            bits: f.page.bits,
            maxSample: f.page.data instanceof Float32Array ? null : maxSample(f.page.data),
          })),
          score,
          scoreInForce,
          judgements: judgements.map((j, i) => ({ ...j, pOof: round(j.pOof, 4), oofInForce: inForce[i]!.oof })),
          ...(restoration ? { restoration } : {}),
          ...(bitDepths ? { bitDepths } : {}),
        };
        const outFile = stringFlag(flags, 'out');
        if (outFile) writeFileSync(resolve(outFile), JSON.stringify(report, null, 1) + '\n');
        let text = formatReport(report.score, frames.length, restoration);
        text += `\njudgement in force (model + the temporal rule over each crop position's frames in file order, as the station judges a well): ` +
          `specificity ${scoreInForce.specificity === null ? '—' : `${(100 * scoreInForce.specificity).toFixed(1)}%`}, ` +
          `sensitivity ${scoreInForce.sensitivity === null ? '—' : `${(100 * scoreInForce.sensitivity).toFixed(1)}%`}, ` +
          `crop positions usable ${scoreInForce.positions.filter((p) => p.usable).length}/${scoreInForce.positions.length}`;
        if (bitDepths) {
          text += `\nsame judgement as 16-bit, 12-in-16 and 8-bit: ${bitDepths.identical}/${bitDepths.crops} crops (${(100 * bitDepths.identicalFraction).toFixed(1)}%)`;
        }
        console.log(json ? JSON.stringify(report) : text);
        return ExitCode.ok;
      } finally {
        await engine.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
export default command;

/**
 * The same crops stored as 12-bit-in-16 and 8-bit (the run's range onto 0–4095 / 0–255), each judged as its
 * own run (its own engine, so its own effective range): how many judgements agree with
 * the 16-bit one in all three.
 */
async function bitDepthCheck(
  crops: Crop[],
  judgements: CropJudgement[],
  modelsDir: string,
  threads: number,
  tmp: string,
  log: (m: string) => void,
): Promise<{ crops: number; identical: number; identicalFraction: number; pOofMaxAbsDiff: number; oofBy: Record<string, number> }> {
  // The same field at each depth: the run's range mapped onto 0–4095 and 0–255, as a
  // camera of that depth exposed for the same range would write it (for a full-range
  // 16-bit run this drops the low 4 / 8 bits).
  const scale = crops[0]?.fullScale ?? 65535;
  const variants: [string, (v: Uint16Array) => Uint8Array | Uint16Array][] = [
    ['12-in-16', (v) => v.map((x) => Math.min(4095, Math.floor((x * 4096) / (scale + 1))))],
    ['8-bit', (v) => Uint8Array.from(v, (x) => Math.min(255, Math.floor((x * 256) / (scale + 1))))],
  ];
  const sixteen = crops.map((c, k) => ({ c, k })).filter(({ c }) => c.bits === 16);
  const agree = new Array<boolean>(sixteen.length).fill(true);
  const oofBy: Record<string, number> = { '16-bit': sixteen.filter(({ k }) => judgements[k]!.oof).length };
  let maxDiff = 0;
  for (const [name, convert] of variants) {
    const dir = mkdtempSync(join(tmp, `${name}-`));
    const files = await Promise.all(
      sixteen.map(async ({ c }, i) => {
        const p = await readTiffPage(c.file, 0);
        const file = join(dir, `${i}.tif`);
        writeTiff(file, { width: p.width, height: p.height, data: convert(p.data as Uint16Array) });
        return file;
      }),
    );
    const engine = await InferenceEngine.load({ type: 'init', id: 0, protocol: PROTOCOL_VERSION, modelsDir, workspace: dir, threads });
    try {
      let oof = 0;
      for (let k = 0; k < files.length; k += 32) {
        const res = await engine.classify({ type: 'classify', id: k + 1, items: files.slice(k, k + 32).map((path, j) => ({ frameId: k + j, path, page: 0, target: 'original' as const })) });
        res.results.forEach((r, j) => {
          if (!r.ok) throw new Error(`${name} crop ${k + j}: ${r.error}`);
          const ref = judgements[sixteen[k + j]!.k]!;
          if (r.oof !== ref.oof) agree[k + j] = false;
          if (r.oof) oof++;
          maxDiff = Math.max(maxDiff, Math.abs(r.pOof - ref.pOof));
        });
      }
      oofBy[name] = oof;
      log(`bit depth ${name}: ${oof} of ${files.length} judged OOF`);
    } finally {
      await engine.close();
    }
  }
  const identical = agree.filter(Boolean).length;
  return { crops: sixteen.length, identical, identicalFraction: sixteen.length ? identical / sixteen.length : NaN, pOofMaxAbsDiff: round(maxDiff, 4), oofBy };
}

/** TIFF files under dir (recursive, by content), relative paths, sorted. */
async function listTiffs(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const probe = await probeTiff(p).catch(() => null);
        if (probe && probe.complete) out.push(relative(dir, p));
      }
    }
  };
  await walk(dir);
  return out.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function cut(page: TiffPage, x0: number, y0: number, w: number, h: number): Uint8Array | Uint16Array | Float32Array {
  const src = page.data;
  const out = src instanceof Uint8Array ? new Uint8Array(w * h) : src instanceof Uint16Array ? new Uint16Array(w * h) : new Float32Array(w * h);
  for (let r = 0; r < h; r++) out.set(src.subarray((y0 + r) * page.width + x0, (y0 + r) * page.width + x0 + w), r * w);
  return out;
}

function toImage(p: TiffPage, fullScale: number): Image {
  const d = new Float32Array(p.data.length);
  for (let i = 0; i < d.length; i++) d[i] = p.data[i]! / fullScale;
  return { width: p.width, height: p.height, data: d };
}

interface RestorationSummary {
  sampler: string;
  inFocus: {
    n: number;
    meanRmsChangeDn: number | null;
    meanPsnrVsInput: number | null;
    /** Mean of RMS change / the input's camera-noise σ (Immerkær); < 1 = changed by less than the noise. */
    meanChangeOverNoise: number | null;
    rows: { crop: string; rmsChangeDn: number; noiseSigmaDn: number; changeOverNoise: number; psnrVsInput: number }[];
  };
  oof: {
    n: number;
    rows: { crop: string; dzUm: number | null; shift: [number, number]; input: Quality; restored: Quality }[];
    mean: { input: Quality; restored: Quality } | null;
  };
}

interface Quality {
  psnr: number;
  pcc: number;
  edgePcc: number;
}

async function restoreCrops(
  engine: InferenceEngine,
  crops: Crop[],
  frames: FrameInfo[],
  judgements: CropJudgement[],
  limit: number,
  tmp: string,
  log: (m: string) => void,
): Promise<RestorationSummary> {
  if (!engine.capabilities.restore) throw new Error('--restore: no usable restoration model');
  const opts = { sampler: RESTORE_DEFAULTS.sampler, steps: RESTORE_DEFAULTS.steps, eta: RESTORE_DEFAULTS.eta, ensemble: RESTORE_DEFAULTS.ensemble, warmStartT: RESTORE_DEFAULTS.warmStartT, seeds: Array.from({ length: RESTORE_DEFAULTS.ensemble }, (_, i) => i + 1) };
  // In-focus reference per (field, row, col): the in-focus crop with the smallest |dz|.
  const refs = new Map<string, number>();
  crops.forEach((c, k) => {
    const f = frames[c.frame]!;
    if (f.label !== 'in_focus') return;
    const key = `${f.field}|${c.row}|${c.col}`;
    const prev = refs.get(key);
    if (prev === undefined || Math.abs(f.dzUm ?? 0) < Math.abs(frames[crops[prev]!.frame]!.dzUm ?? 0)) refs.set(key, k);
  });
  const inRows: RestorationSummary['inFocus']['rows'] = [];
  const oofRows: RestorationSummary['oof']['rows'] = [];
  const order = crops.map((_, k) => k).sort((a, b) => Number(judgements[b]!.label === 'oof') - Number(judgements[a]!.label === 'oof'));
  let done = 0;
  for (const k of order) {
    if (done >= limit) break;
    const c = crops[k]!;
    const f = frames[c.frame]!;
    const ref = refs.get(`${f.field}|${c.row}|${c.col}`);
    if (f.label === 'oof' && ref === undefined) continue;
    const res = await engine.restore({ type: 'restore', id: 10_000 + k, frameId: k, path: c.file, page: 0, options: opts });
    done++;
    const input = toImage(await readTiffPage(c.file, 0), c.fullScale);
    const restored = toImage(await readTiffPage(join(tmp, res.meanPath), 0), c.fullScale);
    const name = `${f.path}#r${c.row}c${c.col}`;
    if (f.label === 'in_focus') {
      let s = 0;
      for (let i = 0; i < input.data.length; i++) s += (restored.data[i]! - input.data[i]!) ** 2;
      const rms = Math.sqrt(s / input.data.length);
      const sigma = noiseSigma(input);
      inRows.push({
        crop: name,
        rmsChangeDn: round(rms * c.fullScale, 2),
        noiseSigmaDn: round(sigma * c.fullScale, 2),
        changeOverNoise: round(rms / sigma, 3),
        psnrVsInput: round(psnr(restored, input), 2),
      });
    } else {
      const truth = toImage(await readTiffPage(crops[ref!]!.file, 0), c.fullScale);
      const { dx, dy } = registerTranslation(truth, input, 32);
      const [t, a] = overlap(truth, input, dx, dy);
      const [, b] = overlap(truth, restored, dx, dy);
      oofRows.push({ crop: name, dzUm: f.dzUm, shift: [dx, dy], input: quality(a, t), restored: quality(b, t) });
    }
    log(`restored ${done}/${limit}`);
  }
  const mean = (v: number[]): number | null => (v.length ? round(v.reduce((x, y) => x + y, 0) / v.length, 4) : null);
  const meanQ = (rows: Quality[]): Quality => ({ psnr: mean(rows.map((r) => r.psnr))!, pcc: mean(rows.map((r) => r.pcc))!, edgePcc: mean(rows.map((r) => r.edgePcc))! });
  return {
    sampler: `${opts.sampler} (${opts.steps} steps, ${opts.ensemble} members)`,
    inFocus: {
      n: inRows.length,
      meanRmsChangeDn: mean(inRows.map((r) => r.rmsChangeDn)),
      meanPsnrVsInput: mean(inRows.map((r) => r.psnrVsInput)),
      meanChangeOverNoise: mean(inRows.map((r) => r.changeOverNoise)),
      rows: inRows,
    },
    oof: { n: oofRows.length, rows: oofRows, mean: oofRows.length ? { input: meanQ(oofRows.map((r) => r.input)), restored: meanQ(oofRows.map((r) => r.restored)) } : null },
  };
}

function quality(img: Image, truth: Image): Quality {
  return { psnr: round(psnr(img, truth), 3), pcc: round(pcc(img, truth), 4), edgePcc: round(edgePcc(img, truth, truth), 4) };
}

function round(v: number, d: number): number {
  return Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v;
}

function formatReport(s: ReturnType<typeof scoreJudgements>, frames: number, r: RestorationSummary | null): string {
  const pct = (v: number | null): string => (v === null || Number.isNaN(v) ? '—' : `${(100 * v).toFixed(1)}%`);
  const lines = [
    `${frames} frames, ${s.crops} crops (${s.inFocus} in focus, ${s.oof} OOF)`,
    `accuracy ${pct(s.accuracy)}  balanced ${pct(s.balancedAccuracy)}  specificity ${pct(s.specificity)}  sensitivity ${pct(s.sensitivity)}  AUC ${s.auc === null ? '—' : s.auc.toFixed(3)}`,
    ...Object.entries(s.perDzBin).map(([b, v]) => `  |dz| ${b} µm: n ${v.n}, accuracy ${pct(v.accuracy)}, judged OOF ${v.judgedOof}, median p(OOF) ${v.medianPOof.toFixed(3)}`),
    `crop positions usable: ${s.positions.filter((p) => p.usable).length}/${s.positions.length}` +
      (s.allInFocusPositionsUsable === null ? '' : ` (every in-focus position usable: ${s.allInFocusPositionsUsable ? 'yes' : 'no'})`),
  ];
  if (r) {
    if (r.inFocus.n) {
      lines.push(
        `restoration of ${r.inFocus.n} in-focus crops: mean RMS change ${r.inFocus.meanRmsChangeDn} DN = ${r.inFocus.meanChangeOverNoise} × the camera noise (Immerkær σ), PSNR vs input ${r.inFocus.meanPsnrVsInput} dB`,
      );
    }
    if (r.oof.mean) {
      const m = r.oof.mean;
      lines.push(`restoration of ${r.oof.n} OOF crops vs in-focus plane: PSNR ${m.input.psnr} → ${m.restored.psnr} dB, PCC ${m.input.pcc} → ${m.restored.pcc}, edge-PCC ${m.input.edgePcc} → ${m.restored.edgePcc}`);
    }
  }
  return lines.join('\n');
}
