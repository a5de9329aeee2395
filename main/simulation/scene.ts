/**
 * Sample model of one PDMS nanowell: the well walls, cells and beads, turned
 * into a complex transmission field a·e^{iφ} on the working grid, plus a
 * label mask of the objects.
 *
 * Phase φ = 2π/λ · Δn · thickness (thickness in µm, Δn = object − medium index),
 * amplitude a = e^{−κ·thickness} (weak absorption). Objects:
 * - nalm6: round B-cell-like targets, 10–12 µm, Δn ≈ 0.03 (spheres in suspension)
 * - tcell: round effector T-cell-like, 8–9.5 µm, slightly irregular, more motile
 * - skov3: flat adherent ovarian-cancer-like cells, elongated with protrusions
 * - bead: refractile spheres, 4–6 µm, Δn ≈ 0.08
 * - debris: small static particles on the well floor
 * The wall between wells is a thick PDMS step: its steep sidewall scatters light
 * out of the objective aperture (dark band) and its top adds a phase offset.
 */
import { hashSeed, Rng } from './prng.js';

export type ObjectKind = 'nalm6' | 'tcell' | 'skov3' | 'bead' | 'debris';
/** What a nanowell contains; also the `kind` of training pairs. */
export type SceneKind = 'nalm6' | 'skov3' | 'beads';

export const SCENE_KINDS: readonly SceneKind[] = ['nalm6', 'skov3', 'beads'];

/** Nanowell geometry (µm). TIMING nanowells: 50 µm square wells in PDMS. */
export const WELL = Object.freeze({
  edgeUm: 50,
  /** Centre-to-centre distance of neighbouring wells. */
  pitchUm: 72,
  cornerRadiusUm: 2.5,
  /** Width of the sloped sidewall that scatters light out of the aperture. */
  sidewallUm: 1.6,
  /** Amplitude transmission at the steepest part of the sidewall. */
  sidewallAmplitude: 0.25,
  /** Phase of the PDMS wall top relative to the well floor, modulo 2π (rad). */
  wallTopPhaseRad: 2.3,
  wallTopAmplitude: 0.96,
});

export interface Protrusion {
  /** Direction from the cell centre, relative to the cell's angle (rad). */
  angle: number;
  lengthUm: number;
  widthUm: number;
  /** Sideways curvature (1/µm). */
  bend: number;
}

/** One object in its reference state (motility moves and rotates it over time). */
export interface SceneObject {
  id: number;
  kind: ObjectKind;
  /** Centre (µm) relative to the well centre, at t = 0. */
  x: number;
  y: number;
  /** Radius of round objects; semi-major axis of the body of adherent ones (µm). */
  radiusUm: number;
  /** Minor/major axis ratio (1 for round). */
  aspect: number;
  /** Orientation (rad). */
  angle: number;
  /** Maximal thickness (µm). */
  heightUm: number;
  deltaN: number;
  /** Absorption coefficient (1/µm). */
  absorptionPerUm: number;
  /** Maximal speed of its random walk (µm/min); 0 for static objects. */
  maxSpeedUmPerMin: number;
  /** Outline harmonics (relative amplitudes for k = 2, 3, 4) and their phases. */
  harmonics: number[];
  harmonicPhases: number[];
  protrusions: Protrusion[];
  /** Seed of the fixed internal texture (nucleus, granules). */
  textureSeed: number;
}

export interface WellScene {
  kind: SceneKind;
  /** Position of the well centre relative to the crop centre (whole working-grid pixels). */
  offsetPx: [number, number];
  objects: SceneObject[];
}

/** Pose of an object at one time point. */
export interface ObjectPose {
  x: number;
  y: number;
  angle: number;
  /** Protrusion angle offsets (adherent cells reshape slowly). */
  wiggle: number;
}

const HALF = WELL.edgeUm / 2;

function roundCell(id: number, kind: 'nalm6' | 'tcell', rng: Rng): SceneObject {
  const radius = kind === 'nalm6' ? rng.uniform(5, 6) : rng.uniform(4, 4.75);
  return {
    id,
    kind,
    x: rng.uniform(-HALF + radius, HALF - radius),
    y: rng.uniform(-HALF + radius, HALF - radius),
    radiusUm: radius,
    aspect: kind === 'tcell' ? rng.uniform(0.85, 1) : rng.uniform(0.93, 1),
    angle: rng.uniform(0, 2 * Math.PI),
    heightUm: 2 * radius * rng.uniform(0.75, 0.9),
    deltaN: rng.uniform(0.025, 0.038),
    absorptionPerUm: rng.uniform(0.004, 0.012),
    maxSpeedUmPerMin: kind === 'tcell' ? rng.uniform(3, 10) : rng.uniform(0.5, 4),
    harmonics: [rng.uniform(0, 0.05), rng.uniform(0, 0.03), rng.uniform(0, 0.02)],
    harmonicPhases: [rng.uniform(0, 6.28), rng.uniform(0, 6.28), rng.uniform(0, 6.28)],
    protrusions: [],
    textureSeed: rng.int(0, 0x7fffffff),
  };
}

function adherentCell(id: number, rng: Rng): SceneObject {
  const radius = rng.uniform(11, 18);
  const aspect = rng.uniform(0.32, 0.55);
  const nProt = rng.int(2, 4);
  const protrusions: Protrusion[] = [];
  for (let i = 0; i < nProt; i++) {
    // Mostly along the long axis (both ends), some sideways.
    const along = rng.chance(0.7);
    const base = along ? (rng.chance(0.5) ? 0 : Math.PI) : rng.sign() * Math.PI / 2;
    protrusions.push({
      angle: base + rng.uniform(-0.5, 0.5),
      lengthUm: rng.uniform(6, 16),
      widthUm: rng.uniform(1.5, 3.2),
      bend: rng.uniform(-0.05, 0.05),
    });
  }
  // Half of them spread along a wall, as SKOV3 do in nanowells.
  let x: number, y: number, angle: number;
  if (rng.chance(0.5)) {
    const side = rng.int(0, 3);
    const along = rng.uniform(-HALF + radius * 0.8, HALF - radius * 0.8);
    const inset = HALF - radius * aspect - rng.uniform(0, 1.5);
    [x, y] = side === 0 ? [along, -inset] : side === 1 ? [along, inset] : side === 2 ? [-inset, along] : [inset, along];
    angle = (side < 2 ? 0 : Math.PI / 2) + rng.uniform(-0.15, 0.15);
  } else {
    x = rng.uniform(-HALF + radius * 0.7, HALF - radius * 0.7);
    y = rng.uniform(-HALF + radius * 0.7, HALF - radius * 0.7);
    angle = rng.uniform(0, 2 * Math.PI);
  }
  return {
    id,
    kind: 'skov3',
    x,
    y,
    radiusUm: radius,
    aspect,
    angle,
    heightUm: rng.uniform(2.5, 4.5),
    deltaN: rng.uniform(0.022, 0.032),
    absorptionPerUm: rng.uniform(0.004, 0.01),
    maxSpeedUmPerMin: rng.uniform(0.2, 1.2),
    harmonics: [rng.uniform(0, 0.08), rng.uniform(0, 0.06), rng.uniform(0, 0.04)],
    harmonicPhases: [rng.uniform(0, 6.28), rng.uniform(0, 6.28), rng.uniform(0, 6.28)],
    protrusions,
    textureSeed: rng.int(0, 0x7fffffff),
  };
}

function bead(id: number, rng: Rng): SceneObject {
  const radius = rng.uniform(2, 3);
  return {
    id,
    kind: 'bead',
    x: rng.uniform(-HALF + radius, HALF - radius),
    y: rng.uniform(-HALF + radius, HALF - radius),
    radiusUm: radius,
    aspect: 1,
    angle: 0,
    heightUm: 2 * radius,
    deltaN: rng.uniform(0.035, 0.05),
    absorptionPerUm: rng.uniform(0.01, 0.03),
    maxSpeedUmPerMin: rng.uniform(0, 0.3),
    harmonics: [0, 0, 0],
    harmonicPhases: [0, 0, 0],
    protrusions: [],
    textureSeed: 0,
  };
}

function debris(id: number, rng: Rng): SceneObject {
  const radius = rng.uniform(0.4, 1.1);
  return {
    id,
    kind: 'debris',
    x: rng.uniform(-HALF, HALF),
    y: rng.uniform(-HALF, HALF),
    radiusUm: radius,
    aspect: rng.uniform(0.6, 1),
    angle: rng.uniform(0, 6.28),
    heightUm: radius * rng.uniform(0.6, 1.5),
    deltaN: rng.uniform(0.03, 0.08),
    absorptionPerUm: 0.02,
    maxSpeedUmPerMin: 0,
    harmonics: [0, 0, 0],
    harmonicPhases: [0, 0, 0],
    protrusions: [],
    textureSeed: 0,
  };
}

/** Builds the content of one nanowell, deterministically from a seed. */
export function createWellScene(kind: SceneKind, seed: number, options: { maxOffsetPx?: number } = {}): WellScene {
  const rng = new Rng(hashSeed(seed, 0x5ce4e));
  const maxOffset = options.maxOffsetPx ?? 8;
  const objects: SceneObject[] = [];
  let id = 1;
  if (kind === 'nalm6') {
    const targets = rng.chance(0.06) ? 0 : rng.int(1, 3);
    const effectors = rng.int(0, 3);
    for (let i = 0; i < targets; i++) objects.push(roundCell(id++, 'nalm6', rng));
    for (let i = 0; i < effectors; i++) objects.push(roundCell(id++, 'tcell', rng));
    if (rng.chance(0.2)) objects.push(bead(id++, rng));
  } else if (kind === 'skov3') {
    const adherent = rng.chance(0.05) ? 0 : rng.int(1, 2);
    for (let i = 0; i < adherent; i++) objects.push(adherentCell(id++, rng));
    const effectors = rng.int(0, 3);
    for (let i = 0; i < effectors; i++) objects.push(roundCell(id++, 'tcell', rng));
  } else {
    const beads = rng.int(2, 8);
    for (let i = 0; i < beads; i++) objects.push(bead(id++, rng));
    if (rng.chance(0.4)) objects.push(roundCell(id++, rng.chance(0.5) ? 'nalm6' : 'tcell', rng));
  }
  const nDebris = rng.int(0, 5);
  for (let i = 0; i < nDebris; i++) objects.push(debris(id++, rng));
  return {
    kind,
    offsetPx: [rng.int(-maxOffset, maxOffset), rng.int(-maxOffset, maxOffset)],
    objects,
  };
}

// ---------------------------------------------------------------------------
// Rendering

/** Geometry of the working grid: N×N pixels, the crop centred in it. */
export interface GridSpec {
  n: number;
  pixelSizeUm: number;
  wavelengthUm: number;
}

/** Signed distance (µm) to the nearest rounded-square well boundary; negative inside a well. */
export function wellSignedDistance(x: number, y: number): number {
  const p = WELL.pitchUm;
  const lx = x - p * Math.round(x / p);
  const ly = y - p * Math.round(y / p);
  const r = WELL.cornerRadiusUm;
  const qx = Math.abs(lx) - (HALF - r);
  const qy = Math.abs(ly) - (HALF - r);
  const ox = Math.max(qx, 0);
  const oy = Math.max(qy, 0);
  return Math.hypot(ox, oy) + Math.min(Math.max(qx, qy), 0) - r;
}

/** Smooth, seeded value noise in [−1, 1] with a feature size of `scalePx` pixels. */
export function valueNoise(w: number, h: number, scalePx: number, seed: number): Float32Array {
  const gw = Math.ceil(w / scalePx) + 2;
  const gh = Math.ceil(h / scalePx) + 2;
  const rng = new Rng(seed);
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.uniform(-1, 1);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const gy = y / scalePx;
    const iy = Math.floor(gy);
    let fy = gy - iy;
    fy = fy * fy * (3 - 2 * fy);
    for (let x = 0; x < w; x++) {
      const gx = x / scalePx;
      const ix = Math.floor(gx);
      let fx = gx - ix;
      fx = fx * fx * (3 - 2 * fx);
      const a = grid[iy * gw + ix]!;
      const b = grid[iy * gw + ix + 1]!;
      const c = grid[(iy + 1) * gw + ix]!;
      const d = grid[(iy + 1) * gw + ix + 1]!;
      out[y * w + x] = a + (b - a) * fx + (c - a) * fy + (a - b - c + d) * fx * fy;
    }
  }
  return out;
}

/**
 * The static background of the nanowell array (walls, wall-top texture) on an
 * enlarged grid of (N + 2M)², so each well's offset is a window into it.
 * Complex interleaved Float64Array.
 */
export class WallField {
  readonly margin: number;
  readonly size: number;
  readonly field: Float64Array;

  constructor(readonly grid: GridSpec, margin = 16) {
    this.margin = margin;
    const size = grid.n + 2 * margin;
    this.size = size;
    this.field = new Float64Array(2 * size * size);
    const px = grid.pixelSizeUm;
    const c = size / 2;
    const texture = valueNoise(size, size, 24, 0x7e47);
    const fine = valueNoise(size, size, 4, 0x7e48);
    const s = WELL.sidewallUm;
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = wellSignedDistance((x - c) * px, (y - c) * px);
        let phase: number;
        let amp: number;
        const i = y * size + x;
        if (d <= 0) {
          // Well floor: glass-like, faint residue texture.
          phase = 0.04 * fine[i]!;
          amp = 1;
        } else if (d >= s) {
          phase = WELL.wallTopPhaseRad + 0.1 * texture[i]! + 0.03 * fine[i]!;
          amp = WELL.wallTopAmplitude;
        } else {
          const u = d / s;
          const ramp = u * u * (3 - 2 * u);
          phase = WELL.wallTopPhaseRad * ramp;
          // Light hitting the slope is refracted outside the aperture.
          amp = 1 - (1 - WELL.sidewallAmplitude) * Math.sin(Math.PI * u);
        }
        this.field[2 * i] = amp * Math.cos(phase);
        this.field[2 * i + 1] = amp * Math.sin(phase);
      }
    }
  }

  /** Copies the N×N window for a well offset (px) into `out`. */
  copyWindow(offsetPx: readonly [number, number], out: Float64Array): void {
    const { n } = this.grid;
    const m = this.margin;
    const dx = Math.max(-m, Math.min(m, offsetPx[0]));
    const dy = Math.max(-m, Math.min(m, offsetPx[1]));
    for (let y = 0; y < n; y++) {
      const src = 2 * ((y + m - dy) * this.size + (m - dx));
      out.set(this.field.subarray(src, src + 2 * n), 2 * y * n);
    }
  }
}

/** Internal texture of a cell: nucleus offset and granules, fixed per cell. */
interface Texture {
  nucleusX: number;
  nucleusY: number;
  nucleusR: number;
  granules: { x: number; y: number; r: number; h: number }[];
}

const textureCache = new Map<number, Texture>();

function textureOf(o: SceneObject): Texture {
  const hit = textureCache.get(o.textureSeed);
  if (hit) return hit;
  const rng = new Rng(hashSeed(o.textureSeed, 0x7e7));
  const granules = [];
  const count = o.kind === 'skov3' ? 14 : 8;
  for (let i = 0; i < count; i++) {
    const a = rng.uniform(0, 6.28);
    const r = Math.sqrt(rng.next()) * 0.75;
    granules.push({ x: r * Math.cos(a), y: r * Math.sin(a), r: rng.uniform(0.05, 0.12), h: rng.uniform(-0.12, 0.18) });
  }
  const t: Texture = {
    nucleusX: rng.uniform(-0.2, 0.2),
    nucleusY: rng.uniform(-0.2, 0.2),
    nucleusR: rng.uniform(0.4, 0.6),
    granules,
  };
  if (textureCache.size > 4096) textureCache.clear();
  textureCache.set(o.textureSeed, t);
  return t;
}

/** Per-render constants of an object (so the per-pixel work stays small). */
export interface Prepared {
  o: SceneObject;
  tex: Texture;
  a: number;
  b: number;
  /** Squared normalised radius beyond which the body is certainly empty. */
  outerRho2: number;
  prot: { ca: number; sa: number; edge: number; p: Protrusion }[];
}

export function prepare(o: SceneObject, wiggle: number): Prepared {
  const a = o.radiusUm;
  const b = o.radiusUm * o.aspect;
  const hmax = 1 + Math.abs(o.harmonics[0]!) + Math.abs(o.harmonics[1]!) + Math.abs(o.harmonics[2]!);
  const prot = o.protrusions.map((p, k) => {
    const ang = p.angle + wiggle * (k % 2 === 0 ? 1 : -1);
    const ca = Math.cos(ang);
    const sa = Math.sin(ang);
    // Protrusions start inside the body, 80% of the way to its edge.
    return { ca, sa, edge: Math.hypot(a * ca, b * sa) * 0.8, p };
  });
  return { o, tex: textureOf(o), a, b, outerRho2: hmax * hmax, prot };
}

/**
 * Thickness (µm) of an object at body coordinates (u along the major axis, v
 * across, both in µm, relative to its centre). Round objects: sphere chord;
 * adherent cells: a flattened dome with a nucleus and tapered protrusions.
 */
export function thicknessAt(q: Prepared, u: number, v: number): number {
  const { o, tex, a, b } = q;
  const un = u / a;
  const vn = v / b;
  const r2 = un * un + vn * vn;
  let rho2 = Infinity;
  if (r2 < q.outerRho2) {
    const theta = Math.atan2(vn, un);
    const h = o.harmonics;
    const hp = o.harmonicPhases;
    const outline =
      1 + h[0]! * Math.cos(2 * theta + hp[0]!) + h[1]! * Math.cos(3 * theta + hp[1]!) + h[2]! * Math.cos(4 * theta + hp[2]!);
    rho2 = r2 / (outline * outline);
  }
  if (o.kind !== 'skov3') {
    if (rho2 >= 1) return 0;
    let t = o.heightUm * Math.sqrt(1 - rho2);
    if (o.kind === 'nalm6' || o.kind === 'tcell') {
      // Denser nucleus and granules: small phase texture inside the cell.
      const nx = un - tex.nucleusX;
      const ny = vn - tex.nucleusY;
      const nr2 = (nx * nx + ny * ny) / (tex.nucleusR * tex.nucleusR);
      if (nr2 < 1) t += 0.12 * o.heightUm * (1 - nr2);
      for (const g of tex.granules) {
        const gx = un - g.x;
        const gy = vn - g.y;
        const d2 = (gx * gx + gy * gy) / (g.r * g.r);
        if (d2 < 1) t += g.h * (1 - d2);
      }
    }
    return t;
  }
  let t = 0;
  if (rho2 < 1) {
    // Adherent: flattened body, nucleus bump near the centre, granules.
    t = o.heightUm * Math.pow(1 - rho2, 0.6);
    const nx = u / (0.35 * a) - tex.nucleusX;
    const ny = v / (0.55 * b) - tex.nucleusY;
    const nr2 = nx * nx + ny * ny;
    if (nr2 < 1) t += 1.6 * (1 - nr2) * (1 - nr2);
    for (const g of tex.granules) {
      const gx = un - g.x;
      const gy = vn - g.y;
      const d2 = (gx * gx + gy * gy) / (g.r * g.r * 0.3);
      if (d2 < 1) t += g.h * 1.5 * (1 - d2);
    }
  }
  // Protrusions: tapered, slightly bent strands starting inside the body.
  for (const { ca, sa, edge, p } of q.prot) {
    const s = u * ca + v * sa - edge;
    if (s < -2 || s > p.lengthUm) continue;
    const lateral = -u * sa + v * ca - p.bend * s * s;
    const frac = Math.max(0, s) / p.lengthUm;
    const halfWidth = 0.5 * p.widthUm * (1 - 0.75 * frac);
    const qq = Math.abs(lateral) / halfWidth;
    if (qq >= 1) continue;
    const tp = (0.9 - 0.5 * frac) * (1 - qq * qq);
    if (tp > t) t = tp;
  }
  return t;
}

/** Bounding radius (µm) of an object, protrusions included. */
export function extentUm(o: SceneObject): number {
  let r = o.radiusUm * 1.12;
  for (const p of o.protrusions) r = Math.max(r, o.radiusUm + p.lengthUm + 1);
  return r;
}

/**
 * Renders a nanowell into a complex field on the N×N grid: copies the wall
 * background for the well offset, then multiplies in every object at its pose.
 * Writes object ids into `labels` ((N, N) uint8, 0 = background; the object with
 * the largest thickness wins) when given.
 */
export function renderSceneField(
  scene: WellScene,
  poses: readonly ObjectPose[],
  walls: WallField,
  field: Float64Array,
  labels?: Uint8Array,
  thicknessBuffer?: Float32Array,
): void {
  const { n, pixelSizeUm: px, wavelengthUm } = walls.grid;
  walls.copyWindow(scene.offsetPx, field);
  if (labels) labels.fill(0);
  const zbuf = labels ? thicknessBuffer ?? new Float32Array(n * n) : undefined;
  if (zbuf) zbuf.fill(0);
  const k0 = (2 * Math.PI) / wavelengthUm;
  const cx = n / 2 + scene.offsetPx[0];
  const cy = n / 2 + scene.offsetPx[1];
  for (let i = 0; i < scene.objects.length; i++) {
    const o = scene.objects[i]!;
    const pose = poses[i]!;
    const prep = prepare(o, pose.wiggle);
    const ext = extentUm(o) / px;
    const ox = cx + pose.x / px;
    const oy = cy + pose.y / px;
    const xa = Math.max(0, Math.floor(ox - ext));
    const xb = Math.min(n - 1, Math.ceil(ox + ext));
    const ya = Math.max(0, Math.floor(oy - ext));
    const yb = Math.min(n - 1, Math.ceil(oy + ext));
    const ca = Math.cos(pose.angle);
    const sa = Math.sin(pose.angle);
    const kPhase = k0 * o.deltaN;
    const confine = o.kind === 'skov3';
    for (let y = ya; y <= yb; y++) {
      const dy = (y - oy) * px;
      for (let x = xa; x <= xb; x++) {
        const dx = (x - ox) * px;
        const u = dx * ca + dy * sa;
        const v = -dx * sa + dy * ca;
        let t = thicknessAt(prep, u, v);
        if (t <= 0) continue;
        if (confine) {
          // Adherent cells spread up to the wall but not into it.
          const d = wellSignedDistance((x - cx) * px, (y - cy) * px);
          if (d > -0.3) continue;
          if (d > -1.5) t *= (-d - 0.3) / 1.2;
        }
        const p = y * n + x;
        const phase = kPhase * t;
        const amp = Math.exp(-o.absorptionPerUm * t);
        const cr = amp * Math.cos(phase);
        const ci = amp * Math.sin(phase);
        const fr = field[2 * p]!;
        const fi = field[2 * p + 1]!;
        field[2 * p] = fr * cr - fi * ci;
        field[2 * p + 1] = fr * ci + fi * cr;
        if (labels && zbuf && t > 0.25 && o.kind !== 'debris' && t > zbuf[p]!) {
          zbuf[p] = t;
          labels[p] = o.id;
        }
      }
    }
  }
}
