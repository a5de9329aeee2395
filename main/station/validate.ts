/**
 * Schema validation of every StationApi command payload, applied by both shells
 * (Electron IPC and the web shell) before the core sees it. Hand-written small
 * validators: unknown keys, wrong types, out-of-range numbers and over-long
 * strings are rejected with a message naming the command and the field.
 * Pure module (no node, no electron).
 */
import {
  STATION_COMMANDS,
  type BulkRule,
  type DecisionInput,
  type ExportPolicy,
  type ImageRequest,
  type StationApi,
  type StationCommand,
} from '../../preload/api.js';

/** A payload that does not match its command's schema. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** Limits shared by the validators (and documented for the UI). */
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

type Obj = Record<string, unknown>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)})`;
  return typeof value === 'number' ? `the number ${value}` : `a ${typeof value}`;
}

function object(value: unknown, where: string, required: readonly string[], optional: readonly string[] = []): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ValidationError(`${where} must be an object, got ${describe(value)}`);
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new ValidationError(`${where} must be a plain object`);
  const allowed = new Set([...required, ...optional]);
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) {
      throw new ValidationError(`${where} has an unknown field "${key}" (allowed: ${[...allowed].join(', ') || 'none'})`);
    }
  }
  for (const key of required) {
    if ((value as Obj)[key] === undefined) throw new ValidationError(`${where}.${key} is required`);
  }
  return value as Obj;
}

function integer(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new ValidationError(`${where} must be a whole number, got ${describe(value)}`);
  }
  if (value < min || value > max) throw new ValidationError(`${where} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function real(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(`${where} must be a finite number, got ${describe(value)}`);
  }
  if (value < min || value > max) throw new ValidationError(`${where} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(value: unknown, where: string): boolean {
  if (typeof value !== 'boolean') throw new ValidationError(`${where} must be true or false, got ${describe(value)}`);
  return value;
}

function text(value: unknown, where: string, maxLength: number, { nonEmpty = false } = {}): string {
  if (typeof value !== 'string') throw new ValidationError(`${where} must be a string, got ${describe(value)}`);
  if (value.length > maxLength) throw new ValidationError(`${where} is too long (${value.length} > ${maxLength} characters)`);
  if (nonEmpty && value.trim() === '') throw new ValidationError(`${where} must not be empty`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(value)) {
    throw new ValidationError(`${where} contains control characters`);
  }
  return value;
}

function oneOf<T extends string>(value: unknown, where: string, options: readonly T[]): T {
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new ValidationError(`${where} must be one of ${options.join(', ')}, got ${describe(value)}`);
  }
  return value as T;
}

function id(value: unknown, where: string): number {
  return integer(value, where, 1, LIMITS.maxId);
}

function ids(value: unknown, where: string): number[] {
  if (!Array.isArray(value)) throw new ValidationError(`${where} must be an array of ids, got ${describe(value)}`);
  if (value.length === 0) throw new ValidationError(`${where} must name at least one frame`);
  if (value.length > LIMITS.maxFrameIdsPerDecision) {
    throw new ValidationError(`${where} names too many frames (${value.length} > ${LIMITS.maxFrameIdsPerDecision})`);
  }
  const out = value.map((v, i) => id(v, `${where}[${i}]`));
  if (new Set(out).size !== out.length) throw new ValidationError(`${where} names a frame more than once`);
  return out;
}

/**
 * An absolute path (POSIX `/…`, Windows `C:\…` or `\\server\…`): the app never
 * resolves a relative one against the server's working folder.
 */
function absolutePath(value: unknown, where: string): string {
  const path = text(value, where, LIMITS.maxPathLength, { nonEmpty: true }).trim();
  if (!/^(\/|[A-Za-z]:[\\/]|\\\\)/.test(path)) {
    throw new ValidationError(`${where} must be an absolute folder path, got "${path}" (start with / or a drive letter)`);
  }
  return path;
}

function reviewer(value: unknown, where: string): string {
  return text(value, where, LIMITS.maxReviewerLength, { nonEmpty: true }).trim();
}

function noArgs(command: string, value: unknown): undefined {
  // Over HTTP an empty body arrives as null or {}; over IPC as undefined.
  if (value === undefined || value === null) return undefined;
  object(value, command, []);
  return undefined;
}

function bulkRule(value: unknown, where: string): BulkRule {
  const o = object(value, where, ['maxPOofAfter', 'maxSpread'], ['undecidedOnly']);
  const rule: BulkRule = {
    maxPOofAfter: real(o.maxPOofAfter, `${where}.maxPOofAfter`, 0, 1),
    maxSpread: real(o.maxSpread, `${where}.maxSpread`, 0, 1),
  };
  if (o.undecidedOnly !== undefined) rule.undecidedOnly = boolean(o.undecidedOnly, `${where}.undecidedOnly`);
  return rule;
}

function exportPolicy(value: unknown, where: string): ExportPolicy {
  const o = object(value, where, ['include', 'layout', 'omeStacks', 'trainingPack']);
  return {
    include: oneOf(o.include, `${where}.include`, ['curated', 'all-decided', 'everything'] as const),
    layout: oneOf(o.layout, `${where}.layout`, ['mirror', 'per-well'] as const),
    omeStacks: boolean(o.omeStacks, `${where}.omeStacks`),
    trainingPack: boolean(o.trainingPack, `${where}.trainingPack`),
  };
}

/** The validated argument type of each command. */
export type CommandArgs = { [C in StationCommand]: Parameters<StationApi[C]> extends [infer A] ? A : undefined };

type Validators = { [C in StationCommand]: (payload: unknown) => CommandArgs[C] };

const validators: Validators = {
  getOverview: (p) => noArgs('getOverview', p),
  getProgress: (p) => noArgs('getProgress', p),
  getEngineStatus: (p) => noArgs('getEngineStatus', p),
  getNanowell: (p) => id(p, 'getNanowell: wellId'),
  getFrame: (p) => id(p, 'getFrame: frameId'),
  getImage(p) {
    const o = object(p, 'getImage', ['frameId', 'kind'], ['member', 'maxSize']);
    const request: ImageRequest = {
      frameId: id(o.frameId, 'getImage.frameId'),
      kind: oneOf(o.kind, 'getImage.kind', ['original', 'restored', 'spread', 'member'] as const),
    };
    if (o.member !== undefined) request.member = integer(o.member, 'getImage.member', 0, LIMITS.maxMember);
    if (request.kind === 'member' && request.member === undefined) {
      throw new ValidationError('getImage.member is required when kind is "member"');
    }
    if (o.maxSize !== undefined) {
      request.maxSize = integer(o.maxSize, 'getImage.maxSize', LIMITS.minImageSize, LIMITS.maxImageSize);
    }
    return request;
  },
  decide(p) {
    const o = object(p, 'decide', ['frameIds', 'verdict', 'reviewer'], ['note']);
    const input: DecisionInput = {
      frameIds: ids(o.frameIds, 'decide.frameIds'),
      verdict: oneOf(o.verdict, 'decide.verdict', ['accept', 'reject', 'clear'] as const),
      reviewer: reviewer(o.reviewer, 'decide.reviewer'),
    };
    if (o.note !== undefined) input.note = text(o.note, 'decide.note', LIMITS.maxNoteLength);
    return input;
  },
  undo(p) {
    const o = object(p, 'undo', ['frameIds', 'reviewer']);
    return { frameIds: ids(o.frameIds, 'undo.frameIds'), reviewer: reviewer(o.reviewer, 'undo.reviewer') };
  },
  previewBulk: (p) => bulkRule(p, 'previewBulk'),
  applyBulk(p) {
    const o = object(p, 'applyBulk', ['rule', 'frameIds', 'reviewer'], ['note']);
    const input: CommandArgs['applyBulk'] = {
      rule: bulkRule(o.rule, 'applyBulk.rule'),
      // The frames the operator previewed: a bulk decision never reaches a frame nobody saw counted.
      frameIds: ids(o.frameIds, 'applyBulk.frameIds'),
      reviewer: reviewer(o.reviewer, 'applyBulk.reviewer'),
    };
    if (o.note !== undefined) input.note = text(o.note, 'applyBulk.note', LIMITS.maxNoteLength);
    return input;
  },
  listErrors(p) {
    const o = object(p, 'listErrors', ['limit'], ['beforeId']);
    const input: CommandArgs['listErrors'] = { limit: integer(o.limit, 'listErrors.limit', 1, LIMITS.maxErrorPage) };
    if (o.beforeId !== undefined) input.beforeId = id(o.beforeId, 'listErrors.beforeId');
    return input;
  },
  setPaused(p) {
    const o = object(p, 'setPaused', ['paused']);
    return { paused: boolean(o.paused, 'setPaused.paused') };
  },
  previewExport: (p) => exportPolicy(p, 'previewExport'),
  startExport(p) {
    const o = object(p, 'startExport', ['destination', 'policy'], ['merge']);
    const input: CommandArgs['startExport'] = {
      destination: absolutePath(o.destination, 'startExport.destination'),
      policy: exportPolicy(o.policy, 'startExport.policy'),
    };
    if (o.merge !== undefined) input.merge = boolean(o.merge, 'startExport.merge');
    return input;
  },
  getFocusStatus: (p) => noArgs('getFocusStatus', p),
  labelFocus(p) {
    const o = object(p, 'labelFocus', ['frameIds', 'label', 'who']);
    return {
      frameIds: ids(o.frameIds, 'labelFocus.frameIds'),
      label: oneOf(o.label, 'labelFocus.label', ['in_focus', 'oof', 'clear'] as const),
      who: reviewer(o.who, 'labelFocus.who'),
    };
  },
  calibrate(p) {
    const o = object(p, 'calibrate', ['who']);
    return { who: reviewer(o.who, 'calibrate.who') };
  },
  restoreAnyway(p) {
    const o = object(p, 'restoreAnyway', ['who'], ['runId']);
    const input: CommandArgs['restoreAnyway'] = { who: reviewer(o.who, 'restoreAnyway.who') };
    if (o.runId !== undefined) input.runId = id(o.runId, 'restoreAnyway.runId');
    return input;
  },
};

/** Whether a string names a StationApi command. */
export function isStationCommand(name: unknown): name is StationCommand {
  return typeof name === 'string' && (STATION_COMMANDS as readonly string[]).includes(name);
}

/** Validates a command's payload; returns the typed argument or throws {@link ValidationError}. */
export function validateCommand<C extends StationCommand>(command: C, payload: unknown): CommandArgs[C] {
  if (!isStationCommand(command)) throw new ValidationError(`unknown command ${describe(command)}`);
  return validators[command](payload) as CommandArgs[C];
}

/** Calls a command on an API after validating its payload (shared by both shells). */
export async function dispatchCommand(api: Omit<StationApi, 'subscribe'>, command: string, payload: unknown): Promise<unknown> {
  if (!isStationCommand(command)) throw new ValidationError(`unknown command ${describe(command)}`);
  const arg = validateCommand(command, payload);
  const fn = api[command] as (a: unknown) => Promise<unknown>;
  return fn.call(api, arg);
}
