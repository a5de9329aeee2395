/**
 * `postfocus accept <workspace>`: the review app's bulk rule on the command
 * line. Previews the restored frames the rule matches, then accepts exactly
 * those (the same StationApi commands, validation and append-only decision rows
 * as the app), so a scripted walk-through can end in a curated export.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BulkApplyResult, BulkPreview, BulkRule } from '../../common/domain.js';
import { openStation } from '../../station/open.js';
import { dispatchCommand } from '../../station/validate.js';
import { DATABASE_FILE } from '../../store/database.js';
import { booleanFlags, numberFlag, parseArgs, stringFlag, stringFlags, UsageError } from '../args.js';
import { ExitCode, type Command } from '../command.js';

/** The review app's starting thresholds (renderer/src/state/review.svelte.ts). */
const DEFAULT_MAX_P_OOF_AFTER = 0.2;
const DEFAULT_MAX_SPREAD = 0.05;

const HELP = `Usage: postfocus accept <workspace> --reviewer <name> [options]

Accepts, by rule, restored frames whose restoration the classifier calls in focus
and whose ensemble members agree: the "bulk accept by rule" of the review app.
Each decision is appended to the workspace's audit log with the reviewer, the
time and the rule. Only frames counted by the preview are decided.

Options:
  --reviewer <name>       who takes the decision (required)
  --max-p-oof-after <p>   p(OOF) of the restored frame below p (default ${DEFAULT_MAX_P_OOF_AFTER})
  --max-spread <s>        mean ensemble spread below s, intensity 0..1 (default ${DEFAULT_MAX_SPREAD})
  --include-decided       also frames that already have a decision (default: undecided only)
  --note <text>           note stored with each decision
  --dry-run               count the frames the rule matches; decide nothing
  --json                  one JSON document: { rule, previewed, accepted, skipped }`;

const command: Command = {
  summary: 'accept restored frames by rule (the review app\'s bulk accept)',
  help: HELP,
  async run(argv) {
    const { positionals, flags } = parseArgs(argv, {
      ...stringFlags('reviewer', 'max-p-oof-after', 'max-spread', 'note'),
      ...booleanFlags('include-decided', 'dry-run', 'json'),
    });
    if (positionals.length !== 1) throw new UsageError('expected one workspace folder');
    const workspace = resolve(positionals[0]!);
    const reviewer = stringFlag(flags, 'reviewer');
    if (!flags['dry-run'] && (reviewer === undefined || reviewer.trim() === '')) {
      throw new UsageError('--reviewer <name> is required: every decision names who took it');
    }
    const rule: BulkRule = {
      maxPOofAfter: numberFlag(flags, 'max-p-oof-after', DEFAULT_MAX_P_OOF_AFTER, { min: 0, max: 1 }),
      maxSpread: numberFlag(flags, 'max-spread', DEFAULT_MAX_SPREAD, { min: 0, max: 1 }),
      undecidedOnly: flags['include-decided'] !== true,
    };
    if (!existsSync(join(workspace, DATABASE_FILE))) {
      throw new Error(`${workspace} is not a PostFocus workspace (no ${DATABASE_FILE}); run postfocus process first`);
    }
    // Review only: no watcher, no pipeline, so this works beside a running station.
    const station = await openStation({ workspace, noPipeline: 'postfocus accept decides only' });
    try {
      const preview = (await dispatchCommand(station, 'previewBulk', rule)) as BulkPreview;
      let result: BulkApplyResult = { count: 0, skipped: [] };
      if (!flags['dry-run'] && preview.count > 0) {
        const note = stringFlag(flags, 'note');
        result = (await dispatchCommand(station, 'applyBulk', {
          rule,
          frameIds: preview.frameIds,
          reviewer: reviewer!,
          ...(note !== undefined ? { note } : {}),
        })) as BulkApplyResult;
      }
      if (flags.json) {
        console.log(JSON.stringify({ rule, dryRun: flags['dry-run'] === true, previewed: preview.count, accepted: result.count, skipped: result.skipped }));
      } else if (flags['dry-run']) {
        console.log(`the rule matches ${preview.count} restored frame(s) (p(OOF) after < ${rule.maxPOofAfter}, spread < ${rule.maxSpread}); nothing decided (--dry-run)`);
      } else {
        console.log(
          `accepted ${result.count} restored frame(s) as ${reviewer!.trim()} (p(OOF) after < ${rule.maxPOofAfter}, spread < ${rule.maxSpread})` +
            (result.skipped.length ? `; ${result.skipped.length} no longer matched and were left as they were` : ''),
        );
        if (preview.count === 0) console.error('hint: no restored frame matches the rule; review in the app (postfocus serve) or loosen --max-p-oof-after / --max-spread');
      }
      return ExitCode.ok;
    } finally {
      await station.close();
    }
  },
};
export default command;
