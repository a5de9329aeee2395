import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportRefusedError } from '../../../main/export/destination.js';
import { exportDataset, type ExportProgress } from '../../../main/export/export.js';
import { exportInThread } from '../../../main/export/thread.js';
import { closeDb } from '../../../main/store/database.js';
import { ensureCliBuilt } from '../../helpers/cli.js';
import { createTestWorkspace, policyCasesSpec, type TestWorkspace } from '../../helpers/export/workspace.js';

let root: string;
let ws: TestWorkspace;
const policy = { include: 'curated' as const, layout: 'mirror' as const, omeStacks: true, trainingPack: false };

beforeAll(async () => {
  await ensureCliBuilt();
  root = mkdtempSync(join(tmpdir(), 'pf-export-thread-'));
  ws = createTestWorkspace(root, policyCasesSpec());
});
afterAll(() => closeDb(ws.db));

describe('export in a worker thread', () => {
  it('writes the same dataset as an in-process export, relays progress and records the export', async () => {
    const progress: ExportProgress[] = [];
    const threaded = await exportInThread(
      { workspace: ws.workspace, options: { destination: join(root, 'threaded'), policy, appVersion: 'test' } },
      (p) => progress.push(p),
    );
    const direct = await exportDataset({ db: ws.db, workspace: ws.workspace, destination: join(root, 'direct'), policy, appVersion: 'test' });
    expect(threaded.framesExported).toBe(direct.framesExported);
    expect(threaded.framesExcluded).toBe(direct.framesExcluded);
    expect(threaded.framesExported).toBeGreaterThan(0);
    expect(progress[0]?.phase).toBe('started');
    expect(progress.at(-1)).toMatchObject({ phase: 'done', done: progress.at(-1)!.total });
    const manifest = JSON.parse(readFileSync(join(root, 'threaded', 'manifest.json'), 'utf8')) as { exportId: number; rows: unknown[] };
    expect(manifest.exportId).toBe(threaded.exportId);
    expect(manifest.rows).toHaveLength(threaded.framesExported);
    const row = ws.db.prepare('SELECT status FROM export WHERE id = ?').get(threaded.exportId) as { status: string };
    expect(row.status).toBe('done');
  });

  it('rejects with the refusal of the thread, its class kept, and writes nothing', async () => {
    const inside = join(ws.acquisition, 'export-here');
    const err = await exportInThread({ workspace: ws.workspace, options: { destination: inside, policy } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExportRefusedError);
    expect((err as Error).message).toMatch(/acquisition/);
    expect(existsSync(inside)).toBe(false);
  });

  it('refuses a second export to a destination that is being written', async () => {
    const dest = join(root, 'twice');
    const first = exportInThread({ workspace: ws.workspace, options: { destination: dest, policy } });
    await expect(exportInThread({ workspace: ws.workspace, options: { destination: dest, policy } })).rejects.toThrow(/already running/);
    await expect(first).resolves.toMatchObject({ destination: dest });
  });
});
