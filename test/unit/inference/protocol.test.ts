import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, ProtocolError, parseRestoreOptions, parseWorkerRequest, parseWorkerResponse, responseId } from '../../../main/inference/protocol.js';

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
    expect(parseWorkerRequest({ type: 'init', id: 1, protocol: PROTOCOL_VERSION, modelsDir: '/m', workspace: '/w', role: 'restore' })).toMatchObject({ role: 'restore' });
    expect(() => parseWorkerRequest({ type: 'init', id: 1, protocol: PROTOCOL_VERSION, modelsDir: '/m', workspace: '/w', role: 'both' })).toThrow(/init.role must be one of all, classify, restore/);
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
    // A bad value fails its own frame only; the other results of the batch stand.
    const mixed = parseWorkerResponse({
      ...ok,
      results: [
        { frameId: 1, target: 'original', ok: true, pOof: Number.NaN, oof: false, metrics: {} },
        { frameId: 2, target: 'original', ok: true, pOof: 0.9, oof: true, metrics: { tenenbaum: 1 } },
        { frameId: 3, target: 'original', ok: true, pOof: 0.2, oof: false, metrics: { tenenbaum: 'x' } },
        { frameId: 4, target: 'original', ok: false, error: 'frame has 2 non-finite pixels', permanent: true },
        { nonsense: true },
      ],
    });
    if (mixed.type !== 'classified') throw new Error('expected classified');
    expect(mixed.results).toHaveLength(4);
    expect(mixed.results[0]).toMatchObject({ frameId: 1, ok: false, error: expect.stringMatching(/invalid result: .*pOof must be a number in \[0, 1\], got NaN/) });
    expect(mixed.results[1]).toMatchObject({ frameId: 2, ok: true, pOof: 0.9, oof: true });
    expect(mixed.results[2]).toMatchObject({ frameId: 3, ok: false, error: expect.stringMatching(/metrics.tenenbaum/) });
    expect(mixed.results[3]).toMatchObject({ frameId: 4, ok: false, permanent: true });
    expect(responseId({ type: 'restored', id: 7 })).toBe(7);
    expect(responseId({ type: 'restored' })).toBeNull();
    expect(() => parseWorkerResponse({ type: 'restored', id: 1, frameId: 2, spreadPath: 's', spreadMean: 0, durationMs: 1 })).toThrow(/meanPath/);
    expect(parseWorkerResponse({ type: 'error', id: 4, message: 'boom' })).toEqual({ type: 'error', id: 4, message: 'boom' });
  });
});
