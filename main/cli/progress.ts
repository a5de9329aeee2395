/**
 * Progress output for long CLI commands, always on stderr (stdout stays for
 * results and `--json`). On a terminal one line is redrawn in place; otherwise
 * (logs, CI, a parent process) a plain line is written at most every few seconds.
 */
import type { QueueProgress } from '../common/domain.js';

/** `[#####.....]` bar of `width` cells for done/total (empty total → empty bar). */
export function progressBar(done: number, total: number, width = 24): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  const full = Math.round(fraction * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** Seconds as `1h02m`, `3m05s` or `12s`; '?' when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/** One-line summary of a queue: `120/400 [###...] 35.2/s eta 8s`. */
export function formatQueue(label: string, p: QueueProgress, width = 24): string {
  return `${label} ${p.done}/${p.total} ${progressBar(p.done, p.total, width)} ${p.rate.toFixed(1)}/s eta ${formatDuration(p.etaSeconds)}`;
}

export interface ProgressLineOptions {
  /** Stream to write to (default process.stderr). */
  stream?: NodeJS.WriteStream;
  /** Minimum interval between plain (non-TTY) lines in ms (default 5000). */
  plainIntervalMs?: number;
  /** Minimum interval between redraws on a terminal (default 100). */
  ttyIntervalMs?: number;
  /** Write nothing (e.g. `--quiet`). */
  silent?: boolean;
}

/** A status line on stderr, redrawn in place on a terminal and throttled elsewhere. */
export class ProgressLine {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private last = 0;
  private lastText = '';
  private drawn = false;

  constructor(private readonly options: ProgressLineOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
  }

  /** Shows `text` now if the throttle allows (always when `force`). */
  update(text: string, force = false): void {
    if (this.options.silent) return;
    const now = Date.now();
    const interval = this.tty ? (this.options.ttyIntervalMs ?? 100) : (this.options.plainIntervalMs ?? 5000);
    if (!force && now - this.last < interval) return;
    if (!force && !this.tty && text === this.lastText) return;
    this.last = now;
    this.lastText = text;
    if (this.tty) {
      const columns = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[2K${text.length >= columns ? text.slice(0, columns - 1) : text}`);
      this.drawn = true;
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  /** Prints a message on its own line without losing the status line. */
  log(message: string): void {
    if (this.options.silent) return;
    if (this.tty && this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${message}\n`);
    if (this.tty && this.drawn && this.lastText) this.stream.write(this.lastText);
  }

  /** Ends the line (a final newline on a terminal). */
  done(finalText?: string): void {
    if (this.options.silent) return;
    if (finalText !== undefined) this.update(finalText, true);
    if (this.tty && this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
