/**
 * Cell motility inside a nanowell: persistent random walks (speed up to the
 * object's maxSpeedUmPerMin, ≤ 10 µm/min for T cells), confined by the walls,
 * with contact: round objects never overlap, touching cells slow down (adhesion)
 * so they stay in contact for a while, then separate again.
 */
import { hashSeed, Rng } from './prng.js';
import { WELL, type ObjectPose, type WellScene } from './scene.js';

export interface MotilityOptions {
  /** Minutes between frames (TIMING: 5 min, 73 frames = 6 h). */
  frameIntervalMin: number;
  /** Integration step (min). */
  stepMin?: number;
}

/** Radius used for collisions and confinement (µm). */
function contactRadius(o: WellScene['objects'][number]): number {
  return o.kind === 'skov3' ? o.radiusUm * o.aspect : o.radiusUm;
}

/**
 * Poses of every object of `scene` for frames 0..frames−1 (frame 0 = the
 * reference state after overlap removal). Deterministic for (scene, seed).
 */
export function simulateTrajectories(
  scene: WellScene,
  seed: number,
  frames: number,
  options: MotilityOptions,
): ObjectPose[][] {
  const rng = new Rng(hashSeed(seed, 0x30711));
  const objs = scene.objects;
  const half = WELL.edgeUm / 2;
  const state = objs.map((o) => ({
    x: o.x,
    y: o.y,
    angle: o.angle,
    heading: rng.uniform(0, 2 * Math.PI),
    speed: o.maxSpeedUmPerMin * rng.uniform(0.2, 1),
    wigglePhase: rng.uniform(0, 2 * Math.PI),
  }));
  const round = objs.map((o) => o.kind === 'nalm6' || o.kind === 'tcell' || o.kind === 'bead');
  const confine = (i: number): void => {
    const o = objs[i]!;
    const s = state[i]!;
    const r = o.kind === 'debris' ? 0 : contactRadius(o);
    const lim = half - r - 0.2;
    if (s.x > lim) {
      s.x = lim;
      s.heading = Math.PI - s.heading;
    } else if (s.x < -lim) {
      s.x = -lim;
      s.heading = Math.PI - s.heading;
    }
    if (s.y > lim) {
      s.y = lim;
      s.heading = -s.heading;
    } else if (s.y < -lim) {
      s.y = -lim;
      s.heading = -s.heading;
    }
  };
  const separate = (): void => {
    for (let pass = 0; pass < 4; pass++) {
      for (let i = 0; i < objs.length; i++) {
        if (!round[i]) continue;
        for (let j = i + 1; j < objs.length; j++) {
          if (!round[j]) continue;
          const a = state[i]!;
          const b = state[j]!;
          const minD = contactRadius(objs[i]!) + contactRadius(objs[j]!);
          let dx = b.x - a.x;
          let dy = b.y - a.y;
          let d = Math.hypot(dx, dy);
          if (d >= minD) continue;
          if (d < 1e-6) {
            dx = 1;
            dy = 0;
            d = 1;
          }
          const push = (minD - d) / 2;
          a.x -= (dx / d) * push;
          a.y -= (dy / d) * push;
          b.x += (dx / d) * push;
          b.y += (dy / d) * push;
        }
      }
      for (let i = 0; i < objs.length; i++) confine(i);
    }
  };
  const inContact = (i: number): boolean => {
    for (let j = 0; j < objs.length; j++) {
      if (j === i || !round[j]) continue;
      const d = Math.hypot(state[j]!.x - state[i]!.x, state[j]!.y - state[i]!.y);
      if (d < contactRadius(objs[i]!) + contactRadius(objs[j]!) + 0.6) return true;
    }
    return false;
  };
  const poses = (t: number): ObjectPose[] =>
    state.map((s, i) => ({
      x: s.x,
      y: s.y,
      angle: s.angle,
      wiggle: objs[i]!.kind === 'skov3' ? 0.25 * Math.sin(s.wigglePhase + 0.05 * t) : 0,
    }));

  separate();
  const out: ObjectPose[][] = [poses(0)];
  const dtTarget = options.stepMin ?? 1;
  const steps = Math.max(1, Math.round(options.frameIntervalMin / dtTarget));
  const dt = options.frameIntervalMin / steps;
  let minutes = 0;
  for (let f = 1; f < frames; f++) {
    for (let k = 0; k < steps; k++) {
      minutes += dt;
      for (let i = 0; i < objs.length; i++) {
        const o = objs[i]!;
        const s = state[i]!;
        if (o.maxSpeedUmPerMin <= 0) continue;
        s.heading += rng.normal() * 0.7 * Math.sqrt(dt);
        s.speed = Math.min(o.maxSpeedUmPerMin, Math.max(0, s.speed + rng.normal() * 0.25 * o.maxSpeedUmPerMin * Math.sqrt(dt)));
        const slow = round[i] && o.kind !== 'bead' && inContact(i) ? 0.3 : 1;
        const step = s.speed * dt * slow;
        s.x += step * Math.cos(s.heading);
        s.y += step * Math.sin(s.heading);
        if (o.kind === 'skov3') s.angle += rng.normal() * 0.01 * Math.sqrt(dt);
        confine(i);
      }
      separate();
    }
    out.push(poses(minutes));
  }
  return out;
}
