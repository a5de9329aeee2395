/**
 * Validation of every StationApi command payload, applied by both shells
 * (Electron IPC and the web shell) before the core sees it: each command's
 * payload schema lives in main/common/contract.ts, beside the type it defines.
 * Pure module (no node, no electron).
 */
import type { GenericSchema } from 'valibot';
import { STATION_COMMANDS, type StationApi, type StationCommand } from '../../preload/api.js';
import {
  bulkApplyInputSchema,
  bulkRuleSchema,
  calibrateInputSchema,
  decisionInputSchema,
  describeValue,
  exportPolicySchema,
  focusLabelInputSchema,
  idSchema,
  imageRequestSchema,
  listErrorsInputSchema,
  noPayloadSchema,
  parsePayload,
  restoreAnywayInputSchema,
  setPausedInputSchema,
  startExportInputSchema,
  undoInputSchema,
} from '../common/contract.js';

export { LIMITS } from '../common/contract.js';

/** A payload that does not match its command's schema. */
export class ValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ValidationError';
  }
}

/** The validated argument type of each command. */
export type CommandArgs = { [C in StationCommand]: Parameters<StationApi[C]> extends [infer A] ? A : undefined };

/** Each command's payload schema, and how a message names the payload. */
const payloads: { [C in StationCommand]: [GenericSchema<unknown, CommandArgs[C]>, string] } = {
  getOverview: [noPayloadSchema, 'getOverview'],
  getProgress: [noPayloadSchema, 'getProgress'],
  getEngineStatus: [noPayloadSchema, 'getEngineStatus'],
  getFocusStatus: [noPayloadSchema, 'getFocusStatus'],
  getNanowell: [idSchema, 'getNanowell: wellId'],
  getFrame: [idSchema, 'getFrame: frameId'],
  getImage: [imageRequestSchema, 'getImage'],
  decide: [decisionInputSchema, 'decide'],
  undo: [undoInputSchema, 'undo'],
  previewBulk: [bulkRuleSchema, 'previewBulk'],
  // The frames the operator previewed: a bulk decision never reaches a frame nobody saw counted.
  applyBulk: [bulkApplyInputSchema, 'applyBulk'],
  listErrors: [listErrorsInputSchema, 'listErrors'],
  setPaused: [setPausedInputSchema, 'setPaused'],
  previewExport: [exportPolicySchema, 'previewExport'],
  startExport: [startExportInputSchema, 'startExport'],
  labelFocus: [focusLabelInputSchema, 'labelFocus'],
  calibrate: [calibrateInputSchema, 'calibrate'],
  restoreAnyway: [restoreAnywayInputSchema, 'restoreAnyway'],
};

/** Whether a string names a StationApi command. */
export function isStationCommand(name: unknown): name is StationCommand {
  return typeof name === 'string' && (STATION_COMMANDS as readonly string[]).includes(name);
}

/** Validates a command's payload; returns the typed argument or throws {@link ValidationError}. */
export function validateCommand<C extends StationCommand>(command: C, payload: unknown): CommandArgs[C] {
  if (!isStationCommand(command)) throw new ValidationError(`unknown command ${describeValue(command)}`);
  const [schema, where] = payloads[command];
  const r = parsePayload(schema, payload, where);
  if (!r.ok) throw new ValidationError(r.message);
  return r.value as CommandArgs[C];
}

/** Calls a command on an API after validating its payload (shared by both shells). */
export async function dispatchCommand(api: Omit<StationApi, 'subscribe'>, command: string, payload: unknown): Promise<unknown> {
  if (!isStationCommand(command)) throw new ValidationError(`unknown command ${describeValue(command)}`);
  const arg = validateCommand(command, payload);
  const fn = api[command] as (a: unknown) => Promise<unknown>;
  return fn.call(api, arg);
}
