#!/usr/bin/env node
// A microscope stand-in, run as its own process: writes a TIMING acquisition
// tree at a steady rate while a watcher ingests it.
//
//   node test/helpers/acquisition-writer.mjs '<json options>'
//
// Options (all optional but root): root, frames (2000), rate (frames/s, 50),
// times (73, time points per well), width/height (48×40), seed (1),
// slowEvery (10: every n-th frame written in 4 chunks, 120 ms apart),
// stallEvery (50: every n-th frame pauses 450 ms mid-file, longer than a
// size-stability check), corrupt (0: broken TIFFs mixed in), ignored (0:
// unrelated files). Frames go cycle by cycle (t), well by well, as a stage
// visiting every nanowell each cycle. Prints one JSON line when done:
// { frames, corrupt, ignored, slow, stalled, seconds }.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BROKEN_KINDS, brokenTiff, encodeTestTiff, testImage, writeSlowly } from './tiff-fixtures.mjs';

const options = JSON.parse(process.argv[2] ?? '{}');
if (!options.root) {
  console.error('usage: acquisition-writer.mjs \'{"root": "/path", "frames": 2000, "rate": 50}\'');
  process.exit(2);
}
const {
  root,
  frames = 2000,
  rate = 50,
  times = 73,
  width = 48,
  height = 40,
  seed = 1,
  slowEvery = 10,
  stallEvery = 50,
  corrupt = 0,
  ignored = 0,
} = options;

const wells = Math.ceil(frames / times);
const wellDir = (w) => `imgNo${String(w).padStart(3, '0')}CH0`;
const framePath = (w, t) => `B1/images/crops_8bit_s/${wellDir(w)}/${wellDir(w)}_t${t}.tif`;

function put(rel, bytes) {
  const abs = join(root, rel);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, bytes);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const started = Date.now();
const inFlight = [];
let written = 0;
let brokenWritten = 0;
let ignoredWritten = 0;
let slow = 0;
let stalled = 0;
// Interleave broken and unrelated files evenly among the frames.
let index = 0;

for (let t = 1; t <= times && written < frames; t++) {
  for (let w = 1; w <= wells && written < frames; w++) {
    const due = started + (index / rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    index++;
    const k = written++;
    const bytes = encodeTestTiff(
      { width, height, data: testImage(width, height, 8, seed * 1_000_003 + k) },
      { order: k % 2 ? 'ifd-first' : 'data-first', rowsPerStrip: 8 },
    );
    const rel = framePath(w, t);
    if (stallEvery > 0 && k % stallEvery === stallEvery - 1) {
      stalled++;
      inFlight.push(writeSlowly(join(root, rel), bytes, 2, 450));
    } else if (slowEvery > 0 && k % slowEvery === slowEvery - 1) {
      slow++;
      inFlight.push(writeSlowly(join(root, rel), bytes, 4, 120));
    } else {
      put(rel, bytes);
    }
    // Keep the mix proportional: after each frame, catch up broken and unrelated files.
    while (brokenWritten < Math.floor((corrupt * written) / frames)) {
      const b = brokenWritten++;
      const kind = BROKEN_KINDS[b % BROKEN_KINDS.length];
      const dir = `bad${String(b).padStart(4, '0')}CH0`;
      put(`B2/images/crops_8bit_s/${dir}/${dir}_t1.tif`, brokenTiff(kind, seed + b));
      index++;
    }
    while (ignoredWritten < Math.floor((ignored * written) / frames)) {
      const n = ignoredWritten++;
      put(`B1/images/crops_8bit_s/${wellDir(w)}/notes_${n}.txt`, `operator note ${n}\n`);
      index++;
    }
  }
}
await Promise.all(inFlight);
console.log(
  JSON.stringify({ frames: written, corrupt: brokenWritten, ignored: ignoredWritten, slow, stalled, seconds: (Date.now() - started) / 1000 }),
);
