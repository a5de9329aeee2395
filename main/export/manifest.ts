/**
 * manifest.csv + manifest.json: one row per exported frame with its provenance
 * (source file and checksum, model, sampler, seeds, decision, metrics) and the
 * checksum of the file written. Both files are streamed row by row, so an
 * export of any size holds one row in memory; the JSON file is hashed while it
 * is written (its sha256 is the export's `manifest_sha256`).
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RestorationProvenance } from '../store/queries/exports.js';

export const MANIFEST_CSV = 'manifest.csv';
export const MANIFEST_JSON = 'manifest.json';

export type ManifestKind = 'original' | 'restored';

export interface ManifestRow extends RestorationProvenance {
  frameId: number;
  runId: number;
  block: string;
  well: string;
  t: number;
  channel: string;
  kind: ManifestKind;
  /** Relative to the export destination, POSIX separators. */
  outputPath: string;
  outputSha256: string;
  outputBits: number;
  width: number;
  height: number;
  /** Absolute path of the file the pixels came from (acquisition original or workspace restoration). */
  sourcePath: string;
  sourcePage: number;
  sourceSha256: string;
  /** Absolute path + checksum of the acquisition original (same as source for kind = original). */
  originalPath: string;
  originalSha256: string;
  /** Decision in force: accept | reject | clear | undecided. */
  decision: string;
  reviewer: string | null;
  decidedAt: string | null;
  note: string | null;
  classifierModelId: string | null;
  classifierModelSha256: string | null;
  seeds: number[] | null;
  pOofBefore: number | null;
  pOofAfter: number | null;
  tenenbaumBefore: number | null;
  tenenbaumAfter: number | null;
  spreadMean: number | null;
}

/** CSV columns in order: header name and the row field it prints. */
export const MANIFEST_COLUMNS: readonly [string, keyof ManifestRow][] = [
  ['frame_id', 'frameId'],
  ['run_id', 'runId'],
  ['block', 'block'],
  ['well', 'well'],
  ['t', 't'],
  ['channel', 'channel'],
  ['kind', 'kind'],
  ['output_path', 'outputPath'],
  ['output_sha256', 'outputSha256'],
  ['output_bits', 'outputBits'],
  ['width', 'width'],
  ['height', 'height'],
  ['source_path', 'sourcePath'],
  ['source_page', 'sourcePage'],
  ['source_sha256', 'sourceSha256'],
  ['original_path', 'originalPath'],
  ['original_sha256', 'originalSha256'],
  ['decision', 'decision'],
  ['reviewer', 'reviewer'],
  ['decided_at', 'decidedAt'],
  ['note', 'note'],
  ['classifier_model_id', 'classifierModelId'],
  ['classifier_model_sha256', 'classifierModelSha256'],
  ['restoration_model_id', 'restorationModelId'],
  ['restoration_model_sha256', 'restorationModelSha256'],
  ['sampler', 'sampler'],
  ['steps', 'steps'],
  ['eta', 'eta'],
  ['ensemble', 'ensemble'],
  ['seeds', 'seeds'],
  ['p_oof_before', 'pOofBefore'],
  ['p_oof_after', 'pOofAfter'],
  ['tenenbaum_before', 'tenenbaumBefore'],
  ['tenenbaum_after', 'tenenbaumAfter'],
  ['spread_mean', 'spreadMean'],
];

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break; null → empty. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value) ? value.join(' ') : String(value);
  // A leading =, +, - or @ would be run as a formula by spreadsheet apps.
  const safe = /^[=+@]/.test(text) || (/^-/.test(text) && !/^-?\d/.test(text)) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV line (without newline) of a manifest row. */
export function manifestCsvLine(row: ManifestRow): string {
  return MANIFEST_COLUMNS.map(([, key]) => csvField(row[key])).join(',');
}

export interface ManifestHeader {
  version: 1;
  exportId: number;
  createdAt: string;
  appVersion: string;
  policy: unknown;
  /** Present when the export was merged into an existing destination. */
  merged?: boolean;
}

/** Appends text to a file descriptor, feeding an optional hash. */
class TextSink {
  private readonly fd: number;
  constructor(
    readonly path: string,
    private readonly hash?: Hash,
  ) {
    this.fd = openSync(path, 'w');
  }
  write(text: string): void {
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.hash?.update(buf);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Streams manifest rows into `<dir>/manifest.csv` and `<dir>/manifest.json`
 * (`{"version":1, ..., "rows":[...]}`, one row per line).
 */
export class ManifestWriter {
  private readonly csv: TextSink;
  private readonly json: TextSink;
  private readonly jsonHash = createHash('sha256');
  private rows = 0;
  private closed = false;

  constructor(dir: string, header: ManifestHeader) {
    this.csv = new TextSink(join(dir, MANIFEST_CSV));
    try {
      this.json = new TextSink(join(dir, MANIFEST_JSON), this.jsonHash);
    } catch (err) {
      this.csv.close();
      throw err;
    }
    this.csv.write(MANIFEST_COLUMNS.map(([name]) => name).join(',') + '\n');
    const head = JSON.stringify(header);
    this.json.write(head.slice(0, -1) + ',"rows":[');
  }

  get count(): number {
    return this.rows;
  }

  add(row: ManifestRow): void {
    this.csv.write(manifestCsvLine(row) + '\n');
    this.json.write((this.rows === 0 ? '\n' : ',\n') + JSON.stringify(row));
    this.rows++;
  }

  /** Finishes both files; returns the sha256 (hex) of manifest.json. */
  finish(): string {
    this.json.write('\n]}\n');
    this.closeFiles();
    return this.jsonHash.digest('hex');
  }

  /** Closes the files without finishing them (on failure; the folder is removed anyway). */
  abort(): void {
    this.closeFiles();
  }

  private closeFiles(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.csv.close();
    } finally {
      this.json.close();
    }
  }
}

/** Rows of an existing manifest.json (for `--merge`); an absent file gives none. */
export function readManifestRows(dir: string): ManifestRow[] {
  const file = join(dir, MANIFEST_JSON);
  if (!existsSync(file)) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot merge: ${file} is not valid JSON (${(err as Error).message})`);
  }
  const rows = (doc as { rows?: unknown }).rows;
  if (!Array.isArray(rows)) throw new Error(`cannot merge: ${file} has no "rows" array`);
  return rows as ManifestRow[];
}
