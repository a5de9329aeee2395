/**
 * Evaluation of a processed workspace against the simulator's ground truth
 * (`postfocus simulate --truth <dir>` → truth.csv: path,dz_um,oof,focus_path,...):
 *   detection    frame-level OOF accuracy, precision, recall, F1 of the classifier
 *   restoration  PSNR / SSIM / PCC / edge-PCC of the OOF input and of the restored
 *                mean against the in-focus twin, over the restored frames
 *   yield        usable videos per block before / after restoration (PostFocus Fig. 8),
 *                with the classifier's flags and, for reference, the true flags
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UsabilityRule } from '../common/domain.js';
import { DEFAULT_USABILITY, isUsable, USABLE_AFTER_LABEL, videoUsability } from '../common/usability.js';
import type { Image } from '../imaging/image.js';
import { edgePcc, pcc, psnr, ssim } from '../imaging/metrics/quality.js';
import { readTiffFloatPage } from '../imaging/tiff-read.js';
import type { Db } from '../store/database.js';
import { evaluationFrames } from '../store/queries/evaluation.js';
import { videoFrameOfFlags } from './usability-report.js';

export interface TruthRow {
  path: string;
  dzUm: number;
  oof: boolean;
  focusPath: string;
}

/** Parses truth.csv (header line with at least path, dz_um, oof, focus_path). */
export function readTruthCsv(truthDir: string): Map<string, TruthRow> {
  const file = join(truthDir, 'truth.csv');
  if (!existsSync(file)) throw new Error(`ground truth ${file} not found (written by \`postfocus simulate --truth <dir>\`)`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = (lines.shift() ?? '').split(',');
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: column "${name}" missing (header: ${header.join(',')})`);
    return i;
  };
  const [ip, idz, ioof, ifocus] = [col('path'), col('dz_um'), col('oof'), col('focus_path')];
  const out = new Map<string, TruthRow>();
  lines.forEach((line, k) => {
    const f = line.split(',');
    const dz = Number(f[idz]);
    if (!f[ip] || !Number.isFinite(dz)) throw new Error(`${file}: line ${k + 2} is malformed: ${line}`);
    out.set(f[ip]!, { path: f[ip]!, dzUm: dz, oof: f[ioof] === '1', focusPath: f[ifocus]! });
  });
  return out;
}

export interface DetectionMetrics {
  n: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  balanced_accuracy: number;
}

export interface QualityMetrics {
  psnr: number;
  ssim: number;
  pcc: number;
  edge_pcc: number;
}

export interface YieldBlock {
  block: string;
  videos: number;
  /** Usable by the ground-truth OOF flags (what a perfect detector would see). */
  usable_truth: number;
  /** Usable by the classifier's flags, before restoration. */
  usable_before: number;
  /** Usable after model re-check (basis `model-recheck`: restored frames re-classified in focus no longer count as OOF). */
  usable_after: number;
}

export interface EvaluationReport {
  workspace: string;
  truth: string;
  frames: { truth: number; matched: number; classified: number; restored: number };
  detection: DetectionMetrics;
  /** Over restored frames that are truly OOF (restorations of in-focus frames are counted apart). */
  restoration: { n: number; input: QualityMetrics; restored: QualityMetrics; spread_mean: number; in_focus_restored: number };
  yield: { videos: number; usable_truth: number; usable_before: number; usable_after: number; blocks: YieldBlock[]; rule: UsabilityRule };
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
const mean = (xs: number[]) => {
  const f = xs.filter(Number.isFinite);
  return f.length ? f.reduce((s, v) => s + v, 0) / f.length : NaN;
};

/** Detection metrics from paired (predicted, true) OOF flags. */
export function detectionMetrics(pairs: readonly { predicted: boolean; truth: boolean }[]): DetectionMetrics {
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (const p of pairs) {
    if (p.predicted && p.truth) tp++;
    else if (p.predicted) fp++;
    else if (p.truth) fn++;
    else tn++;
  }
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    n: pairs.length, tp, fp, tn, fn,
    accuracy: ratio(tp + tn, pairs.length),
    precision,
    recall,
    f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0,
    balanced_accuracy: (recall + ratio(tn, tn + fp)) / 2,
  };
}

async function readImage(path: string, page = 0): Promise<Image> {
  const p = await readTiffFloatPage(path, page);
  return { width: p.width, height: p.height, data: p.data };
}

function quality(a: Image, truth: Image): QualityMetrics {
  return { psnr: psnr(a, truth), ssim: ssim(a, truth), pcc: pcc(a, truth), edge_pcc: edgePcc(a, truth, truth) };
}

/** Evaluates the workspace `db` (folder `workspace`) against the truth folder. */
export async function evaluateWorkspace(db: Db, workspace: string, truthDir: string, rule: UsabilityRule = DEFAULT_USABILITY): Promise<EvaluationReport> {
  const truth = readTruthCsv(truthDir);
  const facts = evaluationFrames(db);
  const matched = facts.filter((f) => truth.has(f.path));
  if (matched.length === 0) throw new Error(`no frame of workspace ${workspace} appears in ${join(truthDir, 'truth.csv')}: wrong truth folder?`);

  const detection = detectionMetrics(
    matched.filter((f) => f.oofBefore !== null).map((f) => ({ predicted: f.oofBefore === 1, truth: truth.get(f.path)!.oof })),
  );

  const inputQ: QualityMetrics[] = [];
  const restoredQ: QualityMetrics[] = [];
  const spreads: number[] = [];
  let inFocusRestored = 0;
  for (const f of matched) {
    if (!f.meanPath) continue;
    const row = truth.get(f.path)!;
    if (!row.oof) {
      inFocusRestored++;
      continue;
    }
    const twin = await readImage(join(truthDir, row.focusPath));
    inputQ.push(quality(await readImage(join(f.root, f.path), f.page), twin));
    restoredQ.push(quality(await readImage(join(workspace, f.meanPath)), twin));
    spreads.push(f.spreadMean ?? NaN);
  }
  const avg = (qs: QualityMetrics[]): QualityMetrics => ({
    psnr: mean(qs.map((q) => q.psnr)),
    ssim: mean(qs.map((q) => q.ssim)),
    pcc: mean(qs.map((q) => q.pcc)),
    edge_pcc: mean(qs.map((q) => q.edge_pcc)),
  });

  // Usable videos per block (one video = one nanowell's frames in time order).
  const blocks = new Map<string, YieldBlock>();
  let i = 0;
  while (i < matched.length) {
    let j = i;
    while (j < matched.length && matched[j]!.wellId === matched[i]!.wellId) j++;
    const video = matched.slice(i, j);
    const b = blocks.get(video[0]!.block) ?? { block: video[0]!.block, videos: 0, usable_truth: 0, usable_before: 0, usable_after: 0 };
    b.videos++;
    if (isUsable(video.map((f) => truth.get(f.path)!.oof), rule)) b.usable_truth++;
    const usability = videoUsability(video.map(videoFrameOfFlags), rule, 'model-recheck');
    if (usability.before) b.usable_before++;
    if (usability.after) b.usable_after++;
    blocks.set(b.block, b);
    i = j;
  }
  const blockList = [...blocks.values()].sort((a, b) => a.block.localeCompare(b.block, undefined, { numeric: true }));
  const sum = (k: keyof Omit<YieldBlock, 'block'>) => blockList.reduce((s, b) => s + b[k], 0);
  return {
    workspace,
    truth: truthDir,
    frames: {
      truth: truth.size,
      matched: matched.length,
      classified: matched.filter((f) => f.oofBefore !== null).length,
      restored: restoredQ.length + inFocusRestored,
    },
    detection,
    restoration: { n: restoredQ.length, input: avg(inputQ), restored: avg(restoredQ), spread_mean: mean(spreads), in_focus_restored: inFocusRestored },
    yield: { videos: sum('videos'), usable_truth: sum('usable_truth'), usable_before: sum('usable_before'), usable_after: sum('usable_after'), blocks: blockList, rule },
  };
}

/** The report as a plain-text table. */
export function formatEvaluation(r: EvaluationReport): string {
  const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : '—');
  const d = r.detection;
  const lines = [
    `workspace ${r.workspace} vs truth ${r.truth}: ${r.frames.matched}/${r.frames.truth} frames matched, ${r.frames.classified} classified, ${r.frames.restored} restored`,
    '',
    `OOF detection (n = ${d.n}): accuracy ${f(d.accuracy)}  precision ${f(d.precision)}  recall ${f(d.recall)}  F1 ${f(d.f1)}  balanced accuracy ${f(d.balanced_accuracy)}`,
    `  confusion: TP ${d.tp}  FP ${d.fp}  TN ${d.tn}  FN ${d.fn}`,
    '',
    `restoration of truly OOF frames vs their in-focus twins (n = ${r.restoration.n}; ${r.restoration.in_focus_restored} in-focus frames were restored too):`,
    `  ${''.padEnd(10)}${'PSNR'.padStart(8)}${'SSIM'.padStart(8)}${'PCC'.padStart(8)}${'edge-PCC'.padStart(10)}`,
    `  ${'input'.padEnd(10)}${f(r.restoration.input.psnr, 2).padStart(8)}${f(r.restoration.input.ssim).padStart(8)}${f(r.restoration.input.pcc).padStart(8)}${f(r.restoration.input.edge_pcc).padStart(10)}`,
    `  ${'restored'.padEnd(10)}${f(r.restoration.restored.psnr, 2).padStart(8)}${f(r.restoration.restored.ssim).padStart(8)}${f(r.restoration.restored.pcc).padStart(8)}${f(r.restoration.restored.edge_pcc).padStart(10)}`,
    `  mean ensemble spread ${f(r.restoration.spread_mean, 4)}`,
    '',
    `usable videos (> ${r.yield.rule.maxOofFraction * 100}% OOF or ${r.yield.rule.maxConsecutiveOof} OOF in a row = unusable):`,
    `  ${'block'.padEnd(8)}${'videos'.padStart(8)}${'truth'.padStart(8)}${'before'.padStart(8)}${'re-check'.padStart(10)}   (re-check = ${USABLE_AFTER_LABEL['model-recheck']})`,
    ...r.yield.blocks.map((b) => `  ${b.block.padEnd(8)}${String(b.videos).padStart(8)}${String(b.usable_truth).padStart(8)}${String(b.usable_before).padStart(8)}${String(b.usable_after).padStart(10)}`),
    `  ${'all'.padEnd(8)}${String(r.yield.videos).padStart(8)}${String(r.yield.usable_truth).padStart(8)}${String(r.yield.usable_before).padStart(8)}${String(r.yield.usable_after).padStart(10)}`,
  ];
  return lines.join('\n');
}
