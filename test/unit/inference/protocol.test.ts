import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, ProtocolError, parseRestoreOptions, parseWorkerRequest, parseWorkerResponse } from '../../../main/inference/protocol.js';

describe('worker protocol validation', () => {
  it('accepts well-formed requests of every type', () => {
    expect(parseWorkerRequest({ type: 'init', id: 1, protocol: PROTOCOL_VERSION, modelsDir: '/m', workspace: '/w', threads: 2 })).toMatchObject({ type: 'init', threads: 2 });
    expect(parseWorkerRequest({ type: 'classify', id: 2, items: [{ frameId: 3, path: '/a.tif', page: 0, target: 'original' }] }).type).toBe('classify');
    const restore = { type: 'restore', id: 3, frameId: 4, path: '/a.tif', page: 0, options: { sampler: 'ddim', steps: 10, eta: 0, ensemble: 2, seeds: [1, 2] } };
    expect(parseWorkerRequest(restore)).toEqual(restore);
    expect(parseWorkerRequest({ type: 'cancel', id: 5, jobId: 3 })).toEqual({ type: 'cancel', id: 5, jobId: 3 });
    expect(parseWorkerRequest({ type: 'shutdown', id: 6 })).toEqual({ type: 'shutdown', id: 6 });
  });
  it('names what is wrong in a malformed request', () => {
    expect(() => parseWorkerRequest(null)).toThrow(ProtocolError);
    expect(() => parseWorkerRequest({ type: 'classify', id: 1, items: [] })).toThrow(/items must be a non-empty list/);
    expect(() => parseWorkerRequest({ type: 'classify', id: 1, items: [{ frameId: 0, path: 'x', page: 0, target: 'original' }] })).toThrow(/items\[0\]\.frameId/);
    expect(() => parseWorkerRequest({ type: 'init', id: 1, protocol: 99, modelsDir: '/m', workspace: '/w' })).toThrow(/protocol must be 1/);
    expect(() => parseWorkerRequest({ type: 'explode', id: 1 })).toThrow(/unknown request type "explode"/);
    expect(() => parseWorkerRequest({ type: 'shutdown', id: -1 })).toThrow(/request\.id/);
  });
  it('checks restoration options: sampler, η range, one seed per member', () => {
    expect(() => parseRestoreOptions({ sampler: 'magic', steps: 10, eta: 0, ensemble: 1, seeds: [1] })).toThrow(/sampler must be one of/);
    expect(() => parseRestoreOptions({ sampler: 'ddim', steps: 10, eta: 2, ensemble: 1, seeds: [1] })).toThrow(/eta must be a number in \[0, 1\]/);
    expect(() => parseRestoreOptions({ sampler: 'ddim', steps: 10, eta: 0, ensemble: 3, seeds: [1, 2] })).toThrow(/seeds must be 3 integers/);
    expect(() => parseRestoreOptions({ sampler: 'ddim', steps: 0, eta: 0, ensemble: 1, seeds: [1] })).toThrow(/steps must be an integer ≥ 1/);
  });
  it('rejects responses the core could not store (p(OOF) outside [0, 1], missing paths)', () => {
    const ok = { type: 'classified', id: 1, modelId: 'm', modelSha256: 'x', results: [{ frameId: 1, target: 'original', ok: true, pOof: 0.3, oof: false, metrics: {} }] };
    expect(parseWorkerResponse(ok).type).toBe('classified');
    expect(() => parseWorkerResponse({ ...ok, results: [{ frameId: 1, ok: true, pOof: Number.NaN }] })).toThrow(/pOof/);
    expect(() => parseWorkerResponse({ type: 'restored', id: 1, frameId: 2, spreadPath: 's', spreadMean: 0, durationMs: 1 })).toThrow(/meanPath/);
    expect(parseWorkerResponse({ type: 'error', id: 4, message: 'boom' })).toEqual({ type: 'error', id: 4, message: 'boom' });
  });
});
