/**
 * Sharding an acquisition across machines (SLURM job arrays, Kubernetes
 * Indexed Jobs): the partition rule and the stable frame keys it relies on.
 * Pure; no node imports.
 *
 * Rule: nanowell (block, well) belongs to shard
 *
 *     fmix32(fnv1a32(utf8(block + "\u0000" + well))) mod N
 *
 * (FNV-1a alone mixes badly into its low bits: modulo a power of two it would
 * see only the low bits of each byte; murmur3's finaliser spreads every bit.)
 *
 * - by nanowell, never by frame: the usability rule and the relative-sharpness
 *   judgement look at a nanowell's whole video, so a video is never split;
 * - from the names alone: a time point added later, or a new nanowell appearing
 *   in a live acquisition, never moves a nanowell to another shard, and every
 *   node decides without seeing the others or the whole file list;
 * - balanced in expectation (a uniform hash): with W nanowells a shard holds
 *   W/N ± about sqrt(W/N) of them (TIMING plates: 1,266–2,708 nanowells).
 */
import { fmix32 } from './random.js';

export { fmix32 };

/** Shard i of N (0 ≤ i < N), as `--shard i/N` writes it. */
export interface ShardSpec {
  index: number;
  count: number;
}

/** Upper bound on N: far above any job array we expect, low enough to catch typos. */
export const MAX_SHARDS = 100_000;

/** Parses `i/N` (e.g. `3/75`); throws an Error naming the value when it is not a valid shard. */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new Error(`shard must be written i/N (e.g. 0/4), got "${text}"`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new Error(`shard count N must be between 1 and ${MAX_SHARDS}, got ${count} in "${text}"`);
  if (index >= count) throw new Error(`shard index i must be below N (0 ≤ i < ${count}), got ${index} in "${text}"`);
  return { index, count };
}

/** `i/N`. */
export function formatShard(spec: ShardSpec): string {
  return `${spec.index}/${spec.count}`;
}

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text` (uint32); identical on every platform and runtime. */
export function stableHash32(text: string): number {
  let h = 0x811c9dc5;
  const bytes = new TextEncoder().encode(text);
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The shard (0 … count-1) that nanowell (block, well) belongs to among `count` shards. */
export function nanowellShard(block: string, well: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  return fmix32(stableHash32(`${block}\u0000${well}`)) % count;
}

/** Whether nanowell (block, well) is part of `spec`. */
export function inShard(spec: ShardSpec, block: string, well: string): boolean {
  return nanowellShard(block, well, spec.count) === spec.index;
}

/**
 * Seed key of a frame for its restoration ensemble: from where the frame lies in
 * the acquisition (path relative to the root, page), not from its row id, so a
 * shard workspace and a whole-acquisition run draw the same noise for the same
 * frame and restore it identically.
 */
export function frameSeedKey(path: string, page: number): number {
  return stableHash32(`${path}\u0000${page}`);
}
