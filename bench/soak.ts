/**
 * Soak check of issue 14 (`npm run bench:soak`; not part of the test suite):
 * a live acquisition written by the virtual microscope (`postfocus simulate
 * --rate`, a real process) with 1% hostile files mixed in (truncated, NaN
 * pixels, a huge frame in a tiny file, wrong type, links leaving the
 * acquisition), watched, classified and restored by `postfocus serve --acq`
 * (a real station with its inference worker), while
 *   - the station and the worker are SIGKILLed at random moments and the
 *     station restarted (the worker is restarted by the station),
 *   - a reviewer decides restored frames through the web shell's HTTP API.
 * At the end it checks, from the workspace database:
 *   - every good frame (the simulator's truth.csv) is classified exactly once
 *     (one classification of the original, one successful classify attempt),
 *   - every hostile file has an error (or ignored) row with its reason,
 *   - every decision the web shell acknowledged is in the decision table,
 *   - no hang: progress never stalled for --stall-s while work remained, and
 *     the last station stopped on SIGTERM within --stop-s,
 * and reports the peak memory (VmHWM) of each kind of process.
 *
 * Frames are small (--size, default 64 px) so 20,000 of them fit in well under an
 * hour on a 2-core machine; the full acquisition size is --frames.
 *
 * Usage: node dist/bench/soak.js [--frames 20000] [--size 64] [--oof 0.02] [--rate 0] [--kills 5]
 *        [--restore-steps n] [--ensemble n]
 *        [--models models] [--seed 1] [--stall-s 180] [--stop-s 30] [--keep] [--json]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOSTILE_REASON, writeHostile, type HostileKind } from '../test/helpers/hostile-files.js';
import { closeDb, openWorkspaceDb, type Db } from '../main/store/database.js';
import { encodeTiff } from '../main/imaging/tiff-write.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(ROOT, 'dist/main/cli.js');
/** Node arguments that run the built CLI with `args` (dist/ as built now: no rebuild mid-run). */
const cli = (...args: string[]) => ['--input-type=module', '-e', `const { main } = await import(${JSON.stringify(CLI)}); process.exitCode = await main(process.argv.slice(1));`, ...args];

// ------------------------------------------------------------------ options

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}
function stringFlag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1] ?? fallback;
}

const FRAMES = flag('frames', 20_000);
const SIZE = flag('size', 64);
const RATE = flag('rate', 0);
const KILLS = flag('kills', 5);
const SEED = flag('seed', 1);
const OOF = flag('oof', 0.02);
/** Restoration settings of the station (serve --restore-steps / --ensemble); 0 = the station's defaults. */
const RESTORE_STEPS = flag('restore-steps', 0);
const ENSEMBLE = flag('ensemble', 0);
const STALL_S = flag('stall-s', 180);
const STOP_S = flag('stop-s', 30);
const MODELS = resolve(stringFlag('models', join(ROOT, 'models')));
const JSON_OUT = process.argv.includes('--json');
const KEEP = process.argv.includes('--keep');
const BLOCKS = 2;
const T = Math.min(73, Math.max(1, Math.round(Math.sqrt(FRAMES / BLOCKS))));
const WELLS = Math.max(1, Math.ceil(FRAMES / (BLOCKS * T)));
const GOOD = BLOCKS * WELLS * T;
const HOSTILE = Math.max(5, Math.round(GOOD * 0.01));
const KINDS: HostileKind[] = ['truncated', 'nan', 'huge', 'wrong-type', 'symlink-out'];

const say = (m: string) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

// Deterministic random numbers (mulberry32).
let rngState = SEED >>> 0 || 1;
function random(): number {
  rngState = (rngState + 0x6d2b79f5) >>> 0;
  let t = rngState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

// ------------------------------------------------------------------ memory

type Role = 'station' | 'worker' | 'simulator' | 'bench';
const peakKiB: Record<Role, number> = { station: 0, worker: 0, simulator: 0, bench: 0 };

function vmHwmKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function note(role: Role, pid: number | null | undefined): void {
  if (pid) peakKiB[role] = Math.max(peakKiB[role], vmHwmKiB(pid));
}

/** Children of `pid` whose command line contains `needle` (/proc scan). */
function childPids(pid: number, needle: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== pid) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// ----------------------------------------------------------------- station

interface Station {
  child: ChildProcess;
  url: string;
  token: string;
  base: string;
  exited: Promise<number | null>;
}

async function startStation(ws: string, acq: string): Promise<Station> {
  const restore = [...(RESTORE_STEPS ? ['--restore-steps', String(RESTORE_STEPS)] : []), ...(ENSEMBLE ? ['--ensemble', String(ENSEMBLE)] : [])];
  const child = spawn(process.execPath, cli('serve', ws, '--acq', acq, '--models', MODELS, ...restore, '--json'), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderrTail = '';
  child.stderr!.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /"url":"([^"]+)"/.exec(stdout);
      if (m) ok(m[1]!);
    });
    void exited.then((code) => fail(new Error(`station exited (${code}) before serving:\n${stderrTail}`)));
  });
  const u = new URL(url);
  return { child, url, token: u.searchParams.get('token')!, base: `${u.protocol}//${u.host}`, exited };
}

async function api<T>(st: Station, command: string, payload?: unknown): Promise<T> {
  const res = await fetch(`${st.base}/api/${command}`, {
    method: 'POST',
    headers: { 'X-PostFocus-Token': st.token, ...(payload === undefined ? {} : { 'Content-Type': 'application/json' }) },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as { ok: boolean; result?: T; error?: string };
  if (!body.ok) throw new Error(`${command}: ${body.error}`);
  return body.result as T;
}

// --------------------------------------------------------------- reviewer

interface Acked {
  decisionId: number;
  frameId: number;
  verdict: 'accept' | 'reject';
}

/** Decides one undecided restored frame, when there is one; returns what the station acknowledged. */
async function reviewOnce(st: Station, acked: Acked[]): Promise<void> {
  const overview = await api<{ wells: { id: number; state: string }[] }>(st, 'getOverview');
  const candidates = overview.wells.filter((w) => w.state === 'restored');
  if (candidates.length === 0) return;
  const well = candidates[Math.floor(random() * candidates.length)]!;
  const detail = await api<{ frames: { id: number; state: string; review: string }[] }>(st, 'getNanowell', well.id);
  const frame = detail.frames.find((f) => f.state === 'restored' && f.review === 'undecided');
  if (!frame) return;
  const verdict = random() < 0.7 ? 'accept' : 'reject';
  const r = await api<{ decisionIds: number[] }>(st, 'decide', { frameIds: [frame.id], verdict, reviewer: 'soak-reviewer' });
  for (const id of r.decisionIds) acked.push({ decisionId: id, frameId: frame.id, verdict });
}

// ------------------------------------------------------------------- main

interface Counts {
  frames: number;
  pending: number;
  oofWaiting: number;
  reclassifyWaiting: number;
  errors: number;
  attempts: number;
}

function counts(db: Db): Counts {
  const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
  return {
    frames: one('SELECT count(*) AS n FROM frame'),
    pending: one("SELECT count(*) AS n FROM frame WHERE state = 'pending'"),
    oofWaiting: one("SELECT count(*) AS n FROM frame f WHERE f.state = 'oof' AND NOT EXISTS (SELECT 1 FROM restoration x WHERE x.frame_id = f.id)"),
    reclassifyWaiting: one(
      "SELECT count(*) AS n FROM frame f WHERE f.state = 'restored' AND NOT EXISTS (SELECT 1 FROM classification c WHERE c.frame_id = f.id AND c.target = 'restored')",
    ),
    errors: one('SELECT count(*) AS n FROM error_log'),
    attempts: one('SELECT count(*) AS n FROM attempt'),
  };
}

async function main(): Promise<number> {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run node scripts/build.mjs first`);
  const dir = mkdtempSync(join(tmpdir(), 'pf-soak-'));
  const acq = join(dir, 'acq');
  const truth = join(dir, 'truth');
  const ws = join(dir, 'ws');
  const outside = join(dir, 'outside');
  mkdirSync(outside);
  // A valid frame outside the acquisition: a link to it must not be followed.
  writeFileSync(join(outside, 'not-in-the-acquisition.tif'), encodeTiff({ width: SIZE, height: SIZE, data: new Uint8Array(SIZE * SIZE).fill(128) }));
  say(`${GOOD} frames (${BLOCKS} blocks × ${WELLS} wells × ${T} time points, ${SIZE}² px) + ${HOSTILE} hostile files; ${KILLS} station and ${KILLS} worker kills; in ${dir}`);
  const started = Date.now();

  // The microscope.
  const simulator = spawn(
    process.execPath,
    cli('simulate', acq, '--truth', truth, '--blocks', String(BLOCKS), '--wells', String(WELLS), '--frames', String(T), '--size', String(SIZE),
      '--oof-fraction', String(OOF), '--threads', '1', '--seed', String(SEED), ...(RATE > 0 ? ['--rate', String(RATE)] : []), '--json'),
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let simDone = 0;
  let simOut = '';
  simulator.stdout!.on('data', (d: Buffer) => (simOut += d.toString()));
  simulator.stderr!.on('data', (d: Buffer) => {
    for (const m of d.toString().matchAll(/simulate: (\d+)\/(\d+) frames/g)) simDone = Number(m[1]);
  });
  const simExited = new Promise<number | null>((done) => simulator.on('exit', (code) => done(code)));
  let simFinished = false;
  void simExited.then(() => (simFinished = true));

  // Wait for the acquisition folder, then start the station (watch also works before it exists).
  let station = await startStation(ws, acq);
  say(`station ${station.child.pid} serving ${station.base}`);

  // Kill moments: fractions of the acquisition, spread at random.
  const stationKillAt = Array.from({ length: KILLS }, () => 0.05 + 0.9 * random()).sort((a, b) => a - b);
  const workerKillAt = Array.from({ length: KILLS }, () => 0.05 + 0.9 * random()).sort((a, b) => a - b);
  let stationKills = 0;
  let workerKills = 0;
  let restarting = false;

  const hostile: { path: string; kind: HostileKind }[] = [];
  const acked: Acked[] = [];
  let reviewErrors = 0;
  let hangs = 0;
  const hangNotes: string[] = [];

  const writeHostileUpTo = (n: number) => {
    while (hostile.length < Math.min(n, HOSTILE)) {
      const i = hostile.length;
      const kind = KINDS[i % KINDS.length]!;
      const block = 1 + (i % BLOCKS);
      const well = 9001 + i;
      const rel = `B${block}/images/crops_8bit_s/${well}CH0/imgNo${well}CH0_t1.tif`;
      const target = i % 2 === 0 ? '/etc/passwd' : join(outside, 'not-in-the-acquisition.tif');
      writeHostile(kind, join(acq, rel), { seed: i + 1, size: SIZE, outside: target });
      hostile.push({ path: rel, kind });
    }
  };

  const killStation = async (why: string) => {
    restarting = true;
    try {
      const pid = station.child.pid!;
      note('station', pid);
      for (const w of childPids(pid, 'inference-worker')) note('worker', w);
      station.child.kill('SIGKILL');
      await station.exited;
      stationKills++;
      say(`SIGKILL station ${pid} (${why}); restarting`);
      await new Promise((r) => setTimeout(r, 300 + 2000 * random()));
      station = await startStation(ws, acq);
      say(`station ${station.child.pid} serving ${station.base}`);
    } finally {
      restarting = false;
    }
  };

  const killWorker = (why: string): boolean => {
    const pids = childPids(station.child.pid!, 'inference-worker');
    if (pids.length === 0) return false;
    for (const pid of pids) {
      note('worker', pid);
      process.kill(pid, 'SIGKILL');
    }
    workerKills++;
    say(`SIGKILL worker ${pids.join(', ')} (${why})`);
    return true;
  };

  const db = () => openWorkspaceDb(ws, { readonly: true, note: () => undefined });
  let last: Counts | null = null;
  let lastChange = Date.now();
  let reviewing = Promise.resolve();
  let nextReview = 0;
  let released: Station | null = null;

  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const progress = simFinished ? 1 : simDone / GOOD;
    writeHostileUpTo(Math.floor(progress * HOSTILE));
    note('station', station.child.pid);
    for (const w of childPids(station.child.pid!, 'inference-worker')) note('worker', w);
    note('simulator', simulator.pid);
    note('bench', process.pid);

    if (!restarting && stationKills < KILLS && progress >= stationKillAt[stationKills]!) await killStation(`at ${(progress * 100).toFixed(0)}% of the acquisition`);
    if (!restarting && workerKills < KILLS && progress >= workerKillAt[workerKills]!) killWorker(`at ${(progress * 100).toFixed(0)}% of the acquisition`);

    if (!restarting && Date.now() >= nextReview) {
      nextReview = Date.now() + 400;
      const st = station;
      reviewing = reviewing.then(() =>
        reviewOnce(st, acked).catch(() => {
          // The station is being killed or restarted: this decision was not acknowledged, so it is not counted.
          reviewErrors++;
        }),
      );
    }

    if (!existsSync(join(ws, 'postfocus.sqlite'))) continue;
    let c: Counts;
    const conn = db();
    try {
      c = counts(conn);
    } finally {
      closeDb(conn);
    }
    if (!last || JSON.stringify(c) !== JSON.stringify(last)) {
      last = c;
      lastChange = Date.now();
    }
    // A domain guard holding restoration is an operator's call: the soak's operator releases it once per station.
    if (c.oofWaiting > 0 && Date.now() - lastChange > 30_000 && !restarting && released !== station) {
      released = station;
      await api(station, 'restoreAnyway', { who: 'soak-operator' }).then(
        () => say('restoration was held: released it (restoreAnyway)'),
        (err: Error) => say(`restoreAnyway: ${err.message}`),
      );
    }
    const workLeft = !simFinished || c.frames < GOOD || c.pending > 0 || c.reclassifyWaiting > 0 || c.oofWaiting > 0;
    if (Date.now() - lastChange > STALL_S * 1000) {
      hangs++;
      hangNotes.push(`no progress for ${STALL_S} s: ${JSON.stringify(c)}`);
      say(`STALL: ${JSON.stringify(c)}`);
      break;
    }
    const killsDone = stationKills >= KILLS && workerKills >= KILLS;
    if (simFinished && !killsDone && !restarting) {
      // The acquisition ended before every kill moment came: the rest happen while the backlog drains.
      if (stationKills < KILLS) await killStation('after the acquisition');
      else if (!killWorker('after the acquisition')) await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    const hostileSeen = hostile.length >= HOSTILE && c.errors >= HOSTILE;
    if (simFinished && killsDone && !workLeft && hostileSeen) break;
    if (Math.floor((Date.now() - started) / 10_000) !== Math.floor((Date.now() - started - 250) / 10_000)) {
      say(`acq ${simDone}/${GOOD}, frames ${c.frames}, pending ${c.pending}, oof waiting ${c.oofWaiting}, errors ${c.errors}, decisions ${acked.length}, kills ${stationKills}+${workerKills}`);
    }
  }
  await reviewing;

  // Orderly stop of the last station: it must exit on SIGTERM.
  note('station', station.child.pid);
  for (const w of childPids(station.child.pid!, 'inference-worker')) note('worker', w);
  const stopStart = Date.now();
  station.child.kill('SIGTERM');
  const stopped = await Promise.race([station.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), STOP_S * 1000))]);
  const stopSeconds = (Date.now() - stopStart) / 1000;
  if (!stopped) {
    hangs++;
    hangNotes.push(`the station did not stop within ${STOP_S} s of SIGTERM`);
    station.child.kill('SIGKILL');
  }
  await simExited;

  // ------------------------------------------------------------- verdicts
  const conn = openWorkspaceDb(ws, { readonly: true, note: () => undefined });
  const report = (() => {
    try {
      const truthRows = readFileSync(join(truth, 'truth.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(',')[0]!);
      const frameOf = conn.prepare('SELECT id, state FROM frame WHERE path = ?');
      const classifications = conn.prepare("SELECT count(*) AS n FROM classification WHERE frame_id = ? AND target = 'original'");
      const okClassify = conn.prepare("SELECT count(*) AS n FROM attempt WHERE frame_id = ? AND kind = 'classify' AND outcome = 'ok'");
      let missing = 0;
      let notClassifiedOnce = 0;
      let failed = 0;
      for (const path of truthRows) {
        const f = frameOf.get(path) as { id: number; state: string } | undefined;
        if (!f) {
          missing++;
          continue;
        }
        if (f.state === 'failed') failed++;
        const n = (classifications.get(f.id) as { n: number }).n;
        const ok = (okClassify.get(f.id) as { n: number }).n;
        if (n !== 1 || ok !== 1) notClassifiedOnce++;
      }
      const errorOf = conn.prepare('SELECT message FROM error_log WHERE path = ?');
      const hostileProblems: string[] = [];
      for (const h of hostile) {
        const msgs = (errorOf.all(h.path) as { message: string }[]).map((r) => r.message);
        if (!msgs.some((m) => HOSTILE_REASON[h.kind].test(m))) hostileProblems.push(`${h.kind} ${h.path}: ${msgs.join(' | ') || 'no error row'}`);
      }
      const decision = conn.prepare('SELECT frame_id AS frameId, verdict FROM decision WHERE id = ?');
      let lost = 0;
      for (const a of acked) {
        const d = decision.get(a.decisionId) as { frameId: number; verdict: string } | undefined;
        if (!d || d.frameId !== a.frameId || d.verdict !== a.verdict) lost++;
      }
      const one = (sql: string) => (conn.prepare(sql).get() as { n: number }).n;
      return {
        goodFrames: truthRows.length,
        hostileFiles: hostile.length,
        hostileByKind: Object.fromEntries(KINDS.map((k) => [k, hostile.filter((h) => h.kind === k).length])),
        framesMissing: missing,
        framesNotClassifiedExactlyOnce: notClassifiedOnce,
        goodFramesFailed: failed,
        hostileWithoutReason: hostileProblems.length,
        hostileProblems: hostileProblems.slice(0, 10),
        restorations: one('SELECT count(*) AS n FROM restoration'),
        reclassified: one("SELECT count(*) AS n FROM classification WHERE target = 'restored'"),
        decisionsAcknowledged: acked.length,
        decisionsLost: lost,
        reviewRequestsFailed: reviewErrors,
        stationKills,
        workerKills,
        attemptsInterrupted: one("SELECT count(*) AS n FROM attempt WHERE error LIKE 'interrupted%'"),
        hangs,
        hangNotes,
        lastStopSeconds: Number(stopSeconds.toFixed(1)),
        peakRssMiB: Object.fromEntries(Object.entries(peakKiB).map(([k, v]) => [k, Math.round(v / 1024)])),
        simulator: simOut.trim() ? (JSON.parse(simOut.trim()) as Record<string, unknown>) : null,
        wallSeconds: Math.round((Date.now() - started) / 1000),
        frameSize: SIZE,
        workspace: ws,
      };
    } finally {
      closeDb(conn);
    }
  })();
  const pass =
    report.framesMissing === 0 &&
    report.framesNotClassifiedExactlyOnce === 0 &&
    report.goodFramesFailed === 0 &&
    report.hostileWithoutReason === 0 &&
    report.decisionsLost === 0 &&
    report.hangs === 0 &&
    report.stationKills >= KILLS &&
    report.workerKills >= KILLS;
  if (JSON_OUT) console.log(JSON.stringify({ pass, ...report }));
  else {
    console.log(`soak: ${pass ? 'PASS' : 'FAIL'} in ${report.wallSeconds} s`);
    for (const [k, v] of Object.entries(report)) if (k !== 'simulator') console.log(`  ${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
  }
  if (!KEEP && pass) rmSync(dir, { recursive: true, force: true });
  return pass ? 0 : 1;
}

process.exitCode = await main().catch((err: Error) => {
  console.error(`soak: ${err.stack ?? err.message}`);
  return 2;
});
