/**
 * Calibration of the focus decision to this station's microscope: from the
 * operator's labels in force (app keys or a labels CSV), fit the small
 * logistic head of main/common/focus-judgement.ts, store it (audited), re-judge
 * every classified frame and release guards it answers. Microscope profiles
 * carry a calibration to later runs and other workspaces.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { MULBERRY32_INCREMENT, mulberry32Output } from '../common/random.js';
import {
  balancedAccuracy,
  CALIBRATION_FEATURES,
  calibratedPOofOfRow,
  crossValidateCalibration,
  featureVector,
  judgeSeriesTemporal,
  KNOWN_CALIBRATION_FEATURES,
  selectCalibration,
  seriesCalibrationFeatures,
  TEMPORAL_RULE,
  type CalibrationFit,
  type CrossValidation,
} from '../common/focus-judgement.js';
import type { FocusStatus } from '../common/domain.js';
import { modelOfKind, readManifest } from '../inference/model-registry.js';
import { closeDb, openWorkspaceDb, type Db } from '../store/database.js';
import {
  focusLabelsInForce,
  insertCalibration,
  latestCalibration,
  listGuards,
  releaseGuards,
  type CalibrationRow,
  type FocusLabel,
} from '../store/queries/calibration.js';
import { allWellIds, classifiedSeries, type ClassifiedFrame } from '../store/queries/judgements.js';
import { rejudgeWells, type RejudgeResult } from './judge.js';

/** Labels per class below which a fit (and its cross-validated estimate) means nothing. */
export const MIN_LABELS_PER_CLASS = 3;

export class CalibrationError extends Error {}

export interface CalibrationOutcome {
  calibration: CalibrationRow;
  crossValidation: CrossValidation;
  rejudged: RejudgeResult;
  /** Runs whose domain guard this calibration released. */
  released: number[];
}

interface LabelledFeatures {
  path: string;
  page: number;
  label: FocusLabel;
  sha: string;
  modelId: string;
  x: (number | null)[];
  /** The uncalibrated judgement (model + temporal rule) of the frame. */
  uncalibratedOof: boolean;
}

/** Feature vectors of the labelled frames (compared with their well's other frames) and their uncalibrated judgement. */
function labelledFeatures(db: Db): { rows: LabelledFeatures[]; unclassified: string[] } {
  const labels = focusLabelsInForce(db);
  const byWell = new Map<number, typeof labels>();
  for (const l of labels) byWell.set(l.wellId, [...(byWell.get(l.wellId) ?? []), l]);
  const rows: LabelledFeatures[] = [];
  const unclassified: string[] = [];
  for (const [wellId, wellLabels] of byWell) {
    const series = classifiedSeries(db, wellId);
    const byChannel = new Map<string, ClassifiedFrame[]>();
    for (const f of series) byChannel.set(f.channel, [...(byChannel.get(f.channel) ?? []), f]);
    const features = new Map<number, (number | null)[]>();
    const judged = new Map<number, boolean>();
    for (const frames of byChannel.values()) {
      judgeSeriesTemporal(frames).forEach((j, i) => judged.set(frames[i]!.frameId, j.oof));
      seriesCalibrationFeatures(frames).forEach((v, i) => features.set(frames[i]!.frameId, featureVector(v, CALIBRATION_FEATURES)));
    }
    const byId = new Map(series.map((f) => [f.frameId, f]));
    for (const l of wellLabels) {
      const f = byId.get(l.frameId);
      if (!f) {
        unclassified.push(l.path + (l.page ? `#${l.page}` : ''));
        continue;
      }
      rows.push({ path: l.path, page: l.page, label: l.label, sha: f.modelSha256, modelId: f.modelId, x: features.get(f.frameId)!, uncalibratedOof: judged.get(f.frameId)! });
    }
  }
  return { rows, unclassified };
}

/**
 * Fits a calibration on the labels in force, stores it (in force from now on),
 * re-judges every classified frame and releases tripped guards. Throws a
 * CalibrationError saying what is missing (classes, classification, ...).
 */
export function calibrateFromLabels(db: Db, who: string, source: string): CalibrationOutcome {
  const { rows, unclassified } = labelledFeatures(db);
  if (unclassified.length) {
    throw new CalibrationError(
      `${unclassified.length} labelled frame(s) are not classified yet (${unclassified.slice(0, 3).join(', ')}${unclassified.length > 3 ? ', …' : ''}); ` +
        'run `postfocus process` on the acquisition first',
    );
  }
  const nOof = rows.filter((r) => r.label === 'oof').length;
  const nIn = rows.length - nOof;
  if (nOof < MIN_LABELS_PER_CLASS || nIn < MIN_LABELS_PER_CLASS) {
    throw new CalibrationError(
      `calibration needs at least ${MIN_LABELS_PER_CLASS} labels of each class; the workspace has ${nIn} in focus and ${nOof} out of focus`,
    );
  }
  const shas = new Set(rows.map((r) => r.sha));
  if (shas.size > 1) {
    throw new CalibrationError(`the labelled frames were classified by ${shas.size} different classifiers; re-classify them with one model first`);
  }
  const ys = rows.map((r) => r.label === 'oof');
  const xs = rows.map((r) => r.x);
  const fit = selectCalibration(xs, ys);
  const cv = crossValidateCalibration(xs, ys);
  if (cv.balancedAccuracy <= balancedAccuracy(rows.map((r) => r.uncalibratedOof), ys)) fit.keepUncalibrated = true;
  const id = insertCalibration(db, {
    who,
    source,
    classifierId: rows[0]!.modelId,
    classifierSha256: [...shas][0]!,
    nInFocus: nIn,
    nOof,
    cvAccuracy: cv.accuracy,
    cvBalancedAccuracy: cv.balancedAccuracy,
    fit,
    labels: rows.map((r) => ({ path: r.path, page: r.page, label: r.label })),
  });
  const rejudged = rejudgeWells(db);
  const released = releaseGuards(db, who, `calibrated (calibration ${id}, ${nIn + nOof} labels)`);
  return { calibration: latestCalibration(db)!, crossValidation: cv, rejudged, released };
}

// ------------------------------------------------------------------ profiles

export const PROFILE_FORMAT = 'postfocus-microscope-profile';

/**
 * Profile version written now. 2: the fit's features are named from
 * KNOWN_CALIBRATION_FEATURES and compare a frame with its nanowell (version 1
 * fits used the legacy features, which are still computed, so version 1 files
 * load and judge as before). Older code refuses a version 2 file by its version.
 */
export const PROFILE_VERSION = 2;
const READABLE_PROFILE_VERSIONS: readonly number[] = [1, 2];

/** A calibration carried to later runs: `process / watch / serve --profile <file>`. */
export interface MicroscopeProfile {
  format: typeof PROFILE_FORMAT;
  version: number;
  createdAt: string;
  createdBy: string;
  /** Where the calibration was made (workspace, labels source). */
  origin: string;
  classifier: { id: string; sha256: string };
  labels: { inFocus: number; oof: number };
  crossValidation: { accuracy: number | null; balancedAccuracy: number | null };
  fit: CalibrationFit;
  temporalRule: typeof TEMPORAL_RULE;
}

export function profileOf(c: CalibrationRow, origin: string): MicroscopeProfile {
  return {
    format: PROFILE_FORMAT,
    version: PROFILE_VERSION,
    createdAt: c.at,
    createdBy: c.who,
    origin,
    classifier: { id: c.classifierId, sha256: c.classifierSha256 },
    labels: { inFocus: c.nInFocus, oof: c.nOof },
    crossValidation: { accuracy: c.cvAccuracy, balancedAccuracy: c.cvBalancedAccuracy },
    fit: c.fit,
    temporalRule: { ...TEMPORAL_RULE },
  };
}

export function writeProfile(file: string, profile: MicroscopeProfile): void {
  writeFileSync(file, JSON.stringify(profile, null, 1) + '\n');
}

const isNumArray = (v: unknown, n?: number): v is number[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && (n === undefined || v.length === n);

/** Reads and validates a profile file; errors name the file and the field. */
export function readProfile(file: string): MicroscopeProfile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CalibrationError(`cannot read microscope profile ${file}: ${(err as Error).message}`);
  }
  const p = raw as Partial<MicroscopeProfile>;
  const bad = (what: string) => new CalibrationError(`${file} is not a usable microscope profile: ${what}`);
  if (!p || typeof p !== 'object' || p.format !== PROFILE_FORMAT) throw bad(`"format" must be "${PROFILE_FORMAT}"`);
  if (typeof p.version !== 'number' || !READABLE_PROFILE_VERSIONS.includes(p.version)) {
    throw bad(`unsupported version ${String(p.version)} (this PostFocus reads versions ${READABLE_PROFILE_VERSIONS.join(' and ')}; a newer PostFocus wrote it, or calibrate again)`);
  }
  if (!p.classifier || typeof p.classifier.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(p.classifier.sha256)) throw bad('classifier.sha256 missing');
  const f = p.fit;
  const d = f?.weights?.length ?? -1;
  if (!f || d < 1 || !isNumArray(f.weights) || !isNumArray(f.mean, d) || !isNumArray(f.scale, d) || typeof f.bias !== 'number' || !Array.isArray(f.features) || f.features.length !== d) {
    throw bad('fit must have features, mean, scale and weights of one length and a bias');
  }
  if (f.scale.some((s) => s <= 0)) throw bad('fit.scale must be positive');
  const unknown = f.features.filter((n) => typeof n !== 'string' || !KNOWN_CALIBRATION_FEATURES.has(n));
  if (unknown.length) throw bad(`fit uses feature(s) this PostFocus does not compute: ${unknown.map(String).join(', ')}`);
  if (!p.labels || typeof p.labels.inFocus !== 'number' || typeof p.labels.oof !== 'number') throw bad('labels counts missing');
  return p as MicroscopeProfile;
}

/**
 * Puts a profile's calibration in force in a workspace (audited as a
 * calibration whose source is the profile file), re-judges and releases guards.
 * The profile must be fitted on the classifier the station runs. Returns null
 * when that calibration is already in force.
 */
export function applyProfile(db: Db, profile: MicroscopeProfile, file: string, who: string, classifierSha256: string | null): CalibrationOutcome | null {
  if (classifierSha256 !== null && profile.classifier.sha256 !== classifierSha256) {
    throw new CalibrationError(
      `microscope profile ${file} was calibrated on classifier ${profile.classifier.id} (${profile.classifier.sha256.slice(0, 12)}), ` +
        `but this station runs ${classifierSha256.slice(0, 12)}; calibrate again with the current classifier`,
    );
  }
  // Running again with the same profile adds no audit row: it is already in force.
  const current = latestCalibration(db);
  if (current && current.classifierSha256 === profile.classifier.sha256 && JSON.stringify(current.fit) === JSON.stringify(profile.fit)) return null;
  const id = insertCalibration(db, {
    who,
    source: `profile ${basename(file)}`,
    classifierId: profile.classifier.id,
    classifierSha256: profile.classifier.sha256,
    nInFocus: profile.labels.inFocus,
    nOof: profile.labels.oof,
    cvAccuracy: profile.crossValidation?.accuracy ?? null,
    cvBalancedAccuracy: profile.crossValidation?.balancedAccuracy ?? null,
    fit: profile.fit,
    labels: [],
  });
  const rejudged = rejudgeWells(db);
  const released = releaseGuards(db, who, `microscope profile ${basename(file)} applied (calibration ${id})`);
  return {
    calibration: latestCalibration(db)!,
    crossValidation: { accuracy: profile.crossValidation?.accuracy ?? NaN, balancedAccuracy: profile.crossValidation?.balancedAccuracy ?? NaN, folds: 0 },
    rejudged,
    released,
  };
}

/** One line for the status bar and `status`: "calibrated on N labels, cross-validated accuracy X" or "not calibrated". */
export function calibrationSummary(c: CalibrationRow | null): string {
  if (!c) return 'not calibrated';
  const n = c.nInFocus + c.nOof;
  const acc = c.cvAccuracy === null ? 'not cross-validated' : `cross-validated accuracy ${c.cvAccuracy.toFixed(2)}`;
  const kept = c.fit.keepUncalibrated ? '; no better than the uncalibrated judgement on these labels, which stays in force' : '';
  return `calibrated on ${n} labels, ${acc}${c.source.startsWith('profile ') ? ` (${c.source})` : ''}${kept}`;
}

/**
 * `--profile <file>` of process / watch / serve: reads the profile, checks it
 * against the classifier in the models folder's manifest and puts it in force.
 */
export function applyProfileFile(db: Db, file: string, who: string, classifierSha256: string | null): { applied: boolean; summary: string } {
  const outcome = applyProfile(db, readProfile(file), file, who, classifierSha256);
  return { applied: outcome !== null, summary: calibrationSummary(latestCalibration(db)) };
}

/** sha256 of the classifier a models folder ships (from its manifest), or null when it has none / cannot be read. */
export function classifierSha(modelsDir: string): string | null {
  try {
    return modelOfKind(readManifest(modelsDir), 'classifier')?.sha256 ?? null;
  } catch {
    return null;
  }
}

/** Calibration, labels in force and guards, as the app's status bar shows them. */
export function focusStatus(db: Db): FocusStatus {
  const c = latestCalibration(db);
  const labels = focusLabelsInForce(db);
  const guards = listGuards(db).map((g) => ({ runId: g.runId, state: g.state, judged: g.judged, oof: g.oof, reason: g.reason }));
  return {
    summary: calibrationSummary(c),
    calibrated: c !== null,
    labels: { inFocus: labels.filter((l) => l.label === 'in_focus').length, oof: labels.filter((l) => l.label === 'oof').length },
    calibration: c
      ? { id: c.id, who: c.who, at: c.at, source: c.source, inFocus: c.nInFocus, oof: c.nOof, cvAccuracy: c.cvAccuracy, cvBalancedAccuracy: c.cvBalancedAccuracy }
      : null,
    guards,
    restorationHeld: guards.some((g) => g.state === 'tripped'),
  };
}

/** `serve --profile`: puts a profile in force in a workspace before the station opens it. */
export function applyProfileToWorkspace(workspace: string, file: string, who: string, modelsDir: string): { applied: boolean; summary: string } {
  const profile = readProfile(file); // a bad file is refused before the workspace is touched
  const db = openWorkspaceDb(workspace);
  try {
    const outcome = applyProfile(db, profile, file, who, classifierSha(modelsDir));
    return { applied: outcome !== null, summary: calibrationSummary(latestCalibration(db)) };
  } finally {
    closeDb(db);
  }
}

// ------------------------------------------------------------- evaluation

export interface CalibrationEvaluation {
  frames: number;
  oof: number;
  perClass: number;
  repeats: number;
  /** Balanced accuracy on all labelled frames of the model's decision and of the temporal rule. */
  modelBalancedAccuracy: number;
  temporalBalancedAccuracy: number;
  /** AUC of the model's p(OOF): the most any threshold on it can separate (ties count half). */
  modelAuc: number;
  /** Balanced accuracy on the frames not drawn as labels, over the repeats. */
  calibrated: { mean: number; sd: number; min: number; median: number; max: number };
  /** Mean cross-validated balanced accuracy of the drawn labels (what the station would report). */
  crossValidatedMean: number;
  /** Draws whose fit was no better than the uncalibrated judgement on its labels (that judgement was scored). */
  keptUncalibrated: number;
}

/**
 * The acceptance protocol of issue 12: on a workspace whose frames all have a
 * known truth, draw `perClass` labels of each class at random (seeded), fit a
 * calibration on them, and score its balanced accuracy on every other frame;
 * repeated. Read-only: nothing is stored.
 */
export function evaluateCalibration(db: Db, truth: ReadonlyMap<number, boolean>, perClass: number, repeats: number, seed: number): CalibrationEvaluation {
  const xs: (number | null)[][] = [];
  const ys: boolean[] = [];
  const model: boolean[] = [];
  const temporal: boolean[] = [];
  const pOof: number[] = [];
  for (const wellId of allWellIds(db)) {
    const byChannel = new Map<string, ClassifiedFrame[]>();
    for (const f of classifiedSeries(db, wellId)) byChannel.set(f.channel, [...(byChannel.get(f.channel) ?? []), f]);
    for (const frames of byChannel.values()) {
      const features = seriesCalibrationFeatures(frames);
      judgeSeriesTemporal(frames).forEach((j, i) => {
        const f = frames[i]!;
        const y = truth.get(f.frameId);
        if (y === undefined) return;
        xs.push(featureVector(features[i]!, CALIBRATION_FEATURES));
        ys.push(y);
        model.push(f.modelOof);
        temporal.push(j.oof);
        pOof.push(f.pOof);
      });
    }
  }
  const pos = ys.flatMap((y, i) => (y ? [i] : []));
  const neg = ys.flatMap((y, i) => (y ? [] : [i]));
  if (pos.length <= perClass || neg.length <= perClass) {
    throw new CalibrationError(`need more than ${perClass} classified frames of each class with a truth (have ${neg.length} in focus, ${pos.length} OOF)`);
  }
  let state = seed >>> 0;
  const rnd = () => {
    state = (state + MULBERRY32_INCREMENT) >>> 0;
    return mulberry32Output(state) / 2 ** 32;
  };
  const draw = (from: number[]) => {
    const a = [...from];
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a.slice(0, perClass);
  };
  const scores: number[] = [];
  let cvSum = 0;
  let kept = 0;
  for (let r = 0; r < repeats; r++) {
    const train = [...draw(pos), ...draw(neg)];
    const inTrain = new Set(train);
    const fit = selectCalibration(train.map((i) => xs[i]!), train.map((i) => ys[i]!));
    const cv = crossValidateCalibration(train.map((i) => xs[i]!), train.map((i) => ys[i]!)).balancedAccuracy;
    cvSum += cv;
    // As calibrateFromLabels decides: a fit no better than the uncalibrated judgement on its labels is not used.
    const keep = cv <= balancedAccuracy(train.map((i) => temporal[i]!), train.map((i) => ys[i]!));
    if (keep) kept++;
    const rest = ys.flatMap((_, i) => (inTrain.has(i) ? [] : [i]));
    scores.push(balancedAccuracy(rest.map((i) => (keep ? temporal[i]! : calibratedPOofOfRow(fit, xs[i]!) >= 0.5)), rest.map((i) => ys[i]!)));
  }
  const sorted = [...scores].sort((a, b) => a - b);
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return {
    frames: ys.length,
    oof: pos.length,
    perClass,
    repeats,
    modelBalancedAccuracy: balancedAccuracy(model, ys),
    modelAuc: auc(pOof, ys),
    temporalBalancedAccuracy: balancedAccuracy(temporal, ys),
    calibrated: {
      mean,
      sd: Math.sqrt(scores.reduce((a, v) => a + (v - mean) ** 2, 0) / scores.length),
      min: sorted[0]!,
      median: sorted[sorted.length >> 1]!,
      max: sorted[sorted.length - 1]!,
    },
    crossValidatedMean: cvSum / repeats,
    keptUncalibrated: kept,
  };
}

/** Area under the ROC curve of scores against truth (rank form; ties count half). */
function auc(scores: readonly number[], truth: readonly boolean[]): number {
  const order = scores.map((s, i) => ({ s, y: truth[i]! })).sort((a, b) => a.s - b.s);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && order[j]!.s === order[i]!.s) j++;
    const rank = (i + j + 1) / 2; // mean 1-based rank of the tie group
    for (let k = i; k < j; k++) if (order[k]!.y) {
      rankSum += rank;
      pos++;
    }
    i = j;
  }
  const neg = order.length - pos;
  return pos === 0 || neg === 0 ? NaN : (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
