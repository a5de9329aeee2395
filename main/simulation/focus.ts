/**
 * Focus over time and the out-of-focus (OOF) label convention.
 *
 * LABEL CONVENTION (models and metrics depend on it):
 *   in-focus frames have |Δz| ≤ IN_FOCUS_MAX_DZ_UM (2.5 µm, small jitter/drift),
 *   OOF frames have OOF_MIN_DZ_UM ≤ |Δz| ≤ OOF_MAX_DZ_UM (5–10 µm),
 *   oof = 1 iff |Δz| ≥ OOF_THRESHOLD_UM (5 µm). Nothing is simulated in between.
 *
 * Focus drifts per block (all nanowells of a block are imaged in one pass, so a
 * focus excursion hits many of them at the same time points); each affected
 * video gets the block's OOF episodes with its own magnitude. Presets reproduce
 * the spread of OOF videos reported by PostFocus: NALM6 runs 6–15% of videos
 * with OOF episodes, SKOV3 runs 14–96%.
 */
import { hashSeed, Rng } from './prng.js';
import type { SceneKind } from './scene.js';

export const IN_FOCUS_MAX_DZ_UM = 2.5;
export const OOF_MIN_DZ_UM = 5;
export const OOF_MAX_DZ_UM = 10;
export const OOF_THRESHOLD_UM = 5;

/** OOF label of a defocus: 1 iff |Δz| ≥ 5 µm. */
export function oofLabel(dzUm: number): 0 | 1 {
  return Math.abs(dzUm) >= OOF_THRESHOLD_UM ? 1 : 0;
}

export interface FocusPreset {
  name: 'nalm6' | 'skov3';
  /** Content of the nanowells. */
  sceneKind: SceneKind;
  /** Range of the fraction of videos (nanowells) of a block with OOF episodes. */
  oofVideoFraction: [number, number];
  /** Number of block-level OOF episodes when any (inclusive range). */
  episodes: [number, number];
  /** Episode length in frames (inclusive range). */
  episodeFrames: [number, number];
}

export const FOCUS_PRESETS: Readonly<Record<'nalm6' | 'skov3', FocusPreset>> = Object.freeze({
  nalm6: { name: 'nalm6', sceneKind: 'nalm6', oofVideoFraction: [0.06, 0.15], episodes: [1, 3], episodeFrames: [1, 3] },
  skov3: { name: 'skov3', sceneKind: 'skov3', oofVideoFraction: [0.14, 0.96], episodes: [1, 4], episodeFrames: [1, 5] },
});

/**
 * |Δz| of an OOF frame in [5, 10] µm with extra weight near 5–6 µm
 * (5 + 5u², about 45% of draws below 6 µm): the hard cases near the threshold.
 */
export function sampleOofMagnitude(rng: Rng): number {
  const u = rng.next();
  return OOF_MIN_DZ_UM + (OOF_MAX_DZ_UM - OOF_MIN_DZ_UM) * u * u;
}

/** An in-focus defocus: |Δz| ≤ 2.5 µm, concentrated near 0. */
export function sampleInFocusDz(rng: Rng, maxUm = IN_FOCUS_MAX_DZ_UM): number {
  return Math.max(-maxUm, Math.min(maxUm, rng.normal() * 0.9));
}

export interface BlockFocus {
  /** Δz (µm) per well (index) per frame (index 0 = t1). */
  dz: Float64Array[];
  /** Whether each well's video contains at least one OOF frame. */
  oofVideo: boolean[];
}

/** Focus schedule of one block; deterministic for (seed, block). */
export function blockFocusSchedule(seed: number, block: number, wells: number, frames: number, preset: FocusPreset): BlockFocus {
  const rng = new Rng(hashSeed(seed, block, 0xf0c5));
  // Slow in-focus drift shared by the block, plus per-well tilt.
  const amp = rng.uniform(0.2, 1.2);
  const period = rng.uniform(15, 60);
  const phase = rng.uniform(0, 2 * Math.PI);
  const baseline = (t: number): number => amp * Math.sin((2 * Math.PI * t) / period + phase);
  // Block-level OOF episodes.
  const nEpisodes = rng.int(preset.episodes[0], preset.episodes[1]);
  const episodes: { start: number; length: number; sign: number }[] = [];
  for (let e = 0; e < nEpisodes; e++) {
    const length = Math.min(frames, rng.int(preset.episodeFrames[0], preset.episodeFrames[1]));
    episodes.push({ start: rng.int(0, Math.max(0, frames - length)), length, sign: rng.sign() });
  }
  const [lo, hi] = preset.oofVideoFraction;
  const fraction = rng.uniform(lo, hi);
  let affected = Math.round(fraction * wells);
  if (affected === 0 && fraction * wells >= 0.25 && wells > 0) affected = 1;
  const order = Array.from({ length: wells }, (_, i) => i);
  for (let i = wells - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const affectedSet = new Set(order.slice(0, affected));
  const dz: Float64Array[] = [];
  const oofVideo: boolean[] = [];
  for (let w = 0; w < wells; w++) {
    const wr = new Rng(hashSeed(seed, block, w, 0xf0c6));
    const tilt = wr.uniform(-0.6, 0.6);
    const series = new Float64Array(frames);
    for (let t = 0; t < frames; t++) {
      const v = baseline(t) + tilt + wr.normal() * 0.35;
      series[t] = Math.max(-IN_FOCUS_MAX_DZ_UM, Math.min(IN_FOCUS_MAX_DZ_UM, v));
    }
    let any = false;
    if (affectedSet.has(w) && frames > 0) {
      // Joins each block episode with probability 0.7, at least one.
      const joined = episodes.filter(() => wr.chance(0.7));
      if (joined.length === 0 && episodes.length > 0) joined.push(episodes[wr.int(0, episodes.length - 1)]!);
      for (const e of joined) {
        for (let t = e.start; t < e.start + e.length && t < frames; t++) {
          series[t] = e.sign * sampleOofMagnitude(wr);
          any = true;
        }
      }
    }
    dz.push(series);
    oofVideo.push(any);
  }
  return { dz, oofVideo };
}

/**
 * Focus schedule of one block with a chosen fraction of OOF frames (benchmarks
 * of live throughput need a known load, e.g. 15%): the block's in-focus drift
 * as in {@link blockFocusSchedule}, then each nanowell gets its own OOF fraction
 * in [0.25, 1.75] × `oofFraction` (mean `oofFraction`: some videos stay under
 * the 5% rule, some are just over, some far over), laid out as episodes of the
 * preset's lengths at random time points. Deterministic for (seed, block).
 */
export function fractionFocusSchedule(seed: number, block: number, wells: number, frames: number, preset: FocusPreset, oofFraction: number): BlockFocus {
  if (!(oofFraction >= 0 && oofFraction <= 1)) throw new RangeError(`OOF fraction must be within [0, 1], got ${oofFraction}`);
  const base = blockFocusSchedule(seed, block, wells, frames, { ...preset, oofVideoFraction: [0, 0] });
  const oofVideo = base.dz.map((series, w) => {
    const rng = new Rng(hashSeed(seed, block, w, 0xf0c7));
    const target = Math.min(frames, Math.round(oofFraction * (0.25 + 1.5 * rng.next()) * frames));
    const oof = new Uint8Array(frames);
    let count = 0;
    for (let guard = 0; count < target && guard < 10 * frames; guard++) {
      const length = Math.min(rng.int(preset.episodeFrames[0], preset.episodeFrames[1]), target - count);
      const start = rng.int(0, frames - length);
      const sign = rng.sign();
      for (let t = start; t < start + length; t++) {
        if (oof[t]) continue;
        oof[t] = 1;
        series[t] = sign * sampleOofMagnitude(rng);
        count++;
      }
    }
    return count > 0;
  });
  return { dz: base.dz, oofVideo };
}
