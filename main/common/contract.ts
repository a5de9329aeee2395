/**
 * The payloads of the StationApi commands as schemas (valibot): one schema per
 * contract type, from which both the TypeScript type (re-exported by domain.ts and
 * preload/api.ts) and the validator of both shells (station/validate.ts) come.
 * Unknown keys, wrong types, out-of-range numbers and over-long strings are
 * rejected; messages name the field, say what it must be and what it got.
 * Pure module (no node, no electron).
 */
import * as v from 'valibot';

/** Limits of the command payloads (also documented for the UI). */
export const LIMITS = {
  maxId: Number.MAX_SAFE_INTEGER,
  maxFrameIdsPerDecision: 50_000,
  maxReviewerLength: 64,
  maxNoteLength: 2_000,
  minImageSize: 16,
  maxImageSize: 4_096,
  maxMember: 255,
  maxErrorPage: 1_000,
  maxPathLength: 4_096,
} as const;

/** How a rejected value is named in a message: `the number 3`, `a string ("x")`, `an array`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)})`;
  return typeof value === 'number' ? `the number ${value}` : `a ${typeof value}`;
}

// Messages are the part after the field's name; the validator puts the name in front.
type Issue = v.BaseIssue<unknown>;
const got = (what: string) => (i: Issue) => `${what}, got ${describeValue(i.input)}`;
const between = (min: number, max: number) => (i: Issue) => `must be between ${min} and ${max}, got ${String(i.input)}`;

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A plain JSON object with exactly these fields (optional ones may be absent). */
function record<const E extends v.ObjectEntries>(entries: E) {
  const allowed = Object.keys(entries).join(', ') || 'none';
  return v.pipe(
    v.custom<Record<string, unknown>>(isPlainRecord, (i) =>
      typeof i.input === 'object' && i.input !== null && !Array.isArray(i.input) ? 'must be a plain object' : `must be an object, got ${describeValue(i.input)}`,
    ),
    v.strictObject(entries, (i) =>
      i.expected === 'never' ? `has an unknown field ${String(i.received)} (allowed: ${allowed})` : 'is required',
    ),
  );
}

const wholeNumber = (min: number, max: number) =>
  v.pipe(v.number(got('must be a whole number')), v.integer(got('must be a whole number')), v.minValue(min, between(min, max)), v.maxValue(max, between(min, max)));

const finiteNumber = (min: number, max: number) =>
  v.pipe(v.number(got('must be a finite number')), v.finite(got('must be a finite number')), v.minValue(min, between(min, max)), v.maxValue(max, between(min, max)));

const flag = v.boolean(got('must be true or false'));

const oneOf = <const T extends readonly [string, ...string[]]>(options: T) => v.picklist(options, got(`must be one of ${options.join(', ')}`));

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const text = (maxLength: number) =>
  v.pipe(
    v.string(got('must be a string')),
    v.maxLength(maxLength, (i) => `is too long (${(i.input as string).length} > ${maxLength} characters)`),
    v.check((s) => !CONTROL.test(s), 'contains control characters'),
  );

const nonEmptyText = (maxLength: number) =>
  v.pipe(
    v.string(got('must be a string')),
    v.maxLength(maxLength, (i) => `is too long (${(i.input as string).length} > ${maxLength} characters)`),
    v.check((s) => s.trim() !== '', 'must not be empty'),
    v.check((s) => !CONTROL.test(s), 'contains control characters'),
    v.trim(),
  );

/** A database id (1 … 2^53 − 1). */
export const idSchema = wholeNumber(1, LIMITS.maxId);

/** The frames a decision names: at least one, each once. */
const frameIds = v.pipe(
  v.array(idSchema, got('must be an array of ids')),
  v.minLength(1, 'must name at least one frame'),
  v.maxLength(LIMITS.maxFrameIdsPerDecision, (i) => `names too many frames (${(i.input as unknown[]).length} > ${LIMITS.maxFrameIdsPerDecision})`),
  v.check((ids) => new Set(ids).size === ids.length, 'names a frame more than once'),
);

const reviewer = nonEmptyText(LIMITS.maxReviewerLength);

/**
 * An absolute path (POSIX `/…`, Windows `C:\…` or `\\server\…`): the app never
 * resolves a relative one against the server's working folder.
 */
const absolutePath = v.pipe(
  nonEmptyText(LIMITS.maxPathLength),
  v.regex(/^(\/|[A-Za-z]:[\\/]|\\\\)/, (i) => `must be an absolute folder path, got "${String(i.input)}" (start with / or a drive letter)`),
);

export const verdictSchema = oneOf(['accept', 'reject', 'clear']);
export const imageKindSchema = oneOf(['original', 'restored', 'spread', 'member']);
/** Export policies (which file stands for each frame) and folder layouts, in the order help texts list them. */
export const EXPORT_INCLUDES = ['curated', 'all-decided', 'everything'] as const;
export const EXPORT_LAYOUTS = ['mirror', 'per-well'] as const;

export const exportLayoutSchema = oneOf(EXPORT_LAYOUTS);

/** No payload: over HTTP an empty body arrives as null or {}, over IPC as undefined. */
export const noPayloadSchema = v.pipe(v.nullish(record({})), v.transform(() => undefined));

export const imageRequestSchema = v.pipe(
  record({
    frameId: idSchema,
    kind: imageKindSchema,
    /** Ensemble member index, for kind = 'member'. */
    member: v.optional(wholeNumber(0, LIMITS.maxMember)),
    /** Longest side in pixels; thumbnails are cached in the workspace. */
    maxSize: v.optional(wholeNumber(LIMITS.minImageSize, LIMITS.maxImageSize)),
  }),
  v.forward(v.check((r) => r.kind !== 'member' || r.member !== undefined, 'is required when kind is "member"'), ['member']),
);

export const decisionInputSchema = record({
  frameIds,
  verdict: verdictSchema,
  reviewer,
  note: v.optional(text(LIMITS.maxNoteLength)),
});

export const undoInputSchema = record({ frameIds, reviewer });

export const bulkRuleSchema = record({
  /** Restored frames whose p(OOF) after restoration is below this. */
  maxPOofAfter: finiteNumber(0, 1),
  /** ...and whose mean ensemble spread is below this (intensity units, 0..1). */
  maxSpread: finiteNumber(0, 1),
  /** Only frames without a decision yet (default true). */
  undecidedOnly: v.optional(flag),
});

/**
 * Confirmation of a bulk rule: the frames the operator previewed (the preview's
 * `frameIds`). Exactly those are decided; a frame restored after the preview is
 * not, and a previewed frame that no longer matches the rule is skipped.
 */
export const bulkApplyInputSchema = record({
  rule: bulkRuleSchema,
  frameIds,
  reviewer,
  note: v.optional(text(LIMITS.maxNoteLength)),
});

export const listErrorsInputSchema = record({ limit: wholeNumber(1, LIMITS.maxErrorPage), beforeId: v.optional(idSchema) });

export const setPausedInputSchema = record({ paused: flag });

export const exportPolicySchema = record({
  /** Which frames: curated = in-focus originals + accepted restorations (default); all-decided = curated + originals of rejected restorations; everything = every frame (restoration where accepted). */
  include: oneOf(EXPORT_INCLUDES),
  layout: exportLayoutSchema,
  omeStacks: flag,
  trainingPack: flag,
});

export const startExportInputSchema = record({ destination: absolutePath, policy: exportPolicySchema, merge: v.optional(flag) });

/** Operator ground truth for calibration ('clear' withdraws a label); distinct from accept/reject. */
export const focusLabelInputSchema = record({ frameIds, label: oneOf(['in_focus', 'oof', 'clear']), who: reviewer });

export const calibrateInputSchema = record({ who: reviewer });

export const restoreAnywayInputSchema = record({ who: reviewer, runId: v.optional(idSchema) });

export type Verdict = v.InferOutput<typeof verdictSchema>;
export type ImageKind = v.InferOutput<typeof imageKindSchema>;
export type ExportLayout = v.InferOutput<typeof exportLayoutSchema>;
export type ImageRequest = v.InferOutput<typeof imageRequestSchema>;
export type DecisionInput = v.InferOutput<typeof decisionInputSchema>;
export type UndoInput = v.InferOutput<typeof undoInputSchema>;
export type BulkRule = v.InferOutput<typeof bulkRuleSchema>;
export type BulkApplyInput = v.InferOutput<typeof bulkApplyInputSchema>;
export type ListErrorsInput = v.InferOutput<typeof listErrorsInputSchema>;
export type SetPausedInput = v.InferOutput<typeof setPausedInputSchema>;
export type ExportPolicy = v.InferOutput<typeof exportPolicySchema>;
export type StartExportInput = v.InferOutput<typeof startExportInputSchema>;
export type FocusLabelInput = v.InferOutput<typeof focusLabelInputSchema>;
export type CalibrateInput = v.InferOutput<typeof calibrateInputSchema>;
export type RestoreAnywayInput = v.InferOutput<typeof restoreAnywayInputSchema>;

/**
 * Checks `payload` against `schema`; returns the parsed value, or the first
 * problem as `<where>.<field> <what it must be>, got <what it is>`.
 */
export function parsePayload<S extends v.GenericSchema>(
  schema: S,
  payload: unknown,
  where: string,
): { ok: true; value: v.InferOutput<S> } | { ok: false; message: string } {
  const r = v.safeParse(schema, payload, { abortEarly: true, abortPipeEarly: true });
  if (r.success) return { ok: true, value: r.output };
  const issue = r.issues[0];
  let path = '';
  const keys = (issue.path ?? []).map((p) => p.key);
  // An unknown field is a problem of its object: name the object, the message names the field.
  if (issue.type === 'strict_object' && issue.expected === 'never') keys.pop();
  for (const key of keys) path += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return { ok: false, message: `${where}${path} ${issue.message}` };
}
