import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FrameState } from '../../common/domain.js';
import { assertWorkspaceFolder, closeDb, DATABASE_FILE, openWorkspaceDb, type Db } from '../../store/database.js';
import { countErrors, listErrors, listErrorsOfSource } from '../../store/queries/errors.js';
import { countFramesByState } from '../../store/queries/frames.js';
import { countNanowells } from '../../store/queries/nanowells.js';
import { listRuns } from '../../store/queries/runs.js';
import { calibrationSummary } from '../../pipeline/calibrate.js';
import { latestCalibration, listGuards } from '../../store/queries/calibration.js';
import { numberFlag, parseArgs, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

const help = `Usage: postfocus status <workspace> [--json] [--errors <n>]

Shows what a workspace holds: per acquisition run, its layout, nanowells,
frames per state and ignored files; then the most recent errors with their
reasons. Opens the workspace read-only (safe while \`postfocus watch\` runs).

Options:
  --errors <n>  how many recent errors to list (default 10)
  --json        one JSON document: { frames, errors, runs, states, recentErrors,
                ignoredEntries (links, FIFOs, ... never read, with the reason), ... }`;

function sum(states: Record<FrameState, number>): number {
  return Object.values(states).reduce((a, b) => a + b, 0);
}

/**
 * Everything `status` shows, read in one transaction: every count comes from the
 * same snapshot even while `watch` writes (read one by one, a run could show 0
 * errors of a total of 1).
 */
function readStatus(db: Db, workspace: string, limit: number) {
  return db.transaction(() => {
    const runs = listRuns(db).map((r) => {
      const states = countFramesByState(db, r.id);
      return {
        id: r.id,
        root: r.root,
        layout: r.layout,
        pattern: r.pattern,
        createdAt: r.createdAt,
        ignoredFiles: r.ignoredFiles,
        wells: countNanowells(db, r.id),
        frames: sum(states),
        states,
        errors: countErrors(db, r.id),
      };
    });
    const states = countFramesByState(db);
    const recentErrors = listErrors(db, { limit });
    // Entries never read (links leaving the acquisition, linked folders, FIFOs, ...), with the reason.
    const ignoredEntries = listErrorsOfSource(db, 'ignored', Math.max(limit, 100)).map((e) => ({ path: e.path, reason: e.message }));
    const cal = latestCalibration(db);
    const guards = listGuards(db);
    const calibration = {
      summary: calibrationSummary(cal),
      calibrated: cal !== null,
      ...(cal
        ? { id: cal.id, who: cal.who, at: cal.at, source: cal.source, classifierSha256: cal.classifierSha256, labels: cal.nInFocus + cal.nOof,
            inFocus: cal.nInFocus, oof: cal.nOof, cvAccuracy: cal.cvAccuracy, cvBalancedAccuracy: cal.cvBalancedAccuracy }
        : {}),
    };
    // Domain guard per run: pending / clear / tripped (restoration held) / released.
    const guard = guards.map((g) => ({ runId: g.runId, state: g.state, judged: g.judged, oof: g.oof, reason: g.reason, restorationHeld: g.state === 'tripped' || g.state === 'pending' }));
    return {
      workspace,
      frames: sum(states),
      errors: countErrors(db),
      wells: runs.reduce((a, r) => a + r.wells, 0),
      states,
      runs,
      recentErrors,
      ignoredEntries,
      calibration,
      guard,
    };
  })();
}

const command: Command = {
  summary: 'show runs, frame counts per state and recent errors of a workspace',
  help,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, { json: { type: 'boolean' }, errors: { type: 'string' } });
    if (positionals.length !== 1) throw new UsageError('expected one workspace folder');
    const limit = numberFlag(flags, 'errors', 10, { min: 0, max: 10_000, integer: true });
    const workspace = resolve(positionals[0]!);
    assertWorkspaceFolder(workspace);
    if (!existsSync(join(workspace, DATABASE_FILE))) {
      console.error(
        `postfocus status: no workspace at ${workspace} (no ${DATABASE_FILE}); ` +
          'create one with `postfocus ingest <acquisition> --workspace <folder>`',
      );
      return ExitCode.failure;
    }
    const db = openWorkspaceDb(workspace, { readonly: true });
    try {
      const report = readStatus(db, workspace, limit);
      const { runs, calibration, guard, ignoredEntries, recentErrors } = report;
      if (flags.json) {
        console.log(JSON.stringify(report));
        return ExitCode.ok;
      }
      const lines = [`workspace ${workspace}: ${report.frames} frame(s) in ${report.wells} nanowell(s), ${report.errors} error(s)`];
      for (const r of runs) {
        lines.push(`run ${r.id} ${r.root}`);
        lines.push(`  layout ${r.layout}${r.pattern ? ` (${r.pattern})` : ''}, ${r.wells} nanowell(s), ${r.frames} frame(s), ${r.ignoredFiles} ignored file(s), ${r.errors} error(s)`);
        lines.push(`  ${Object.entries(r.states).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
      lines.push(`focus: ${calibration.summary}`);
      for (const g of guard) {
        if (g.state === 'tripped') lines.push(`domain guard TRIPPED on run ${g.runId}, automatic restoration held: ${g.reason}`);
        else if (g.state === 'pending') lines.push(`domain guard pending on run ${g.runId} (${g.judged} frame(s) judged; restoration waits for 200 or the end of classification)`);
      }
      if (ignoredEntries.length > 0) {
        lines.push('ignored entries (never read):');
        for (const e of ignoredEntries) lines.push(`  ${e.path ?? '-'}: ${e.reason.replace(/^ignored, not read: /, '')}`);
      }
      if (recentErrors.length > 0) {
        lines.push(`recent errors${report.errors > recentErrors.length ? ` (${recentErrors.length} of ${report.errors})` : ''}:`);
        for (const e of recentErrors) lines.push(`  ${e.at} [${e.source}] ${e.path ?? '-'}: ${e.message}`);
      }
      console.log(lines.join('\n'));
      return ExitCode.ok;
    } finally {
      closeDb(db);
    }
  },
};
export default command;
