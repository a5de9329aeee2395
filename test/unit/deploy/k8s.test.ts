import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { tempDir } from '../../helpers/workspace.js';

// The manifests' container scripts, read with PyYAML (no YAML parser among the Node dependencies).
function containerScript(file: string): string | null {
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', `import sys, yaml; d = yaml.safe_load(open(sys.argv[1])); print(d['spec']['template']['spec']['containers'][0]['args'][0], end='')`, join(REPO_ROOT, 'deploy/k8s', file)],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? r.stdout : null;
}
function spec(file: string): Record<string, unknown> | null {
  const r = spawnSync('/usr/bin/python3', ['-c', `import sys, yaml, json; print(json.dumps(yaml.safe_load(open(sys.argv[1]))['spec']))`, join(REPO_ROOT, 'deploy/k8s', file)], { encoding: 'utf8' });
  return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : null;
}

const yamlReadable = containerScript('indexed-job.yaml') !== null;
if (!yamlReadable) console.warn('deploy/k8s manifest test skipped: python3 with PyYAML is not available');
const tmp = tempDir('pf-k8s-');
afterAll(() => tmp.cleanup());

/** A stand-in `postfocus` on PATH that prints its arguments and exits with $FAKE_RC. */
const bin = join(tmp.dir, 'bin');
mkdirSync(bin);
writeFileSync(join(bin, 'postfocus'), '#!/bin/sh\necho "postfocus $*"\nexit ${FAKE_RC:-0}\n');
chmodSync(join(bin, 'postfocus'), 0o755);
const run = (script: string, env: Record<string, string>) =>
  spawnSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, SHARDS: '4', ACQUISITION: '/data/acq', JOB_DIR: tmp.dir, ...env } });

describe.skipIf(!yamlReadable)('deploy/k8s Indexed Job', () => {
  it('is an Indexed Job whose completions equal SHARDS', () => {
    const s = spec('indexed-job.yaml')!;
    expect(s.completionMode).toBe('Indexed');
    const env = (s.template as { spec: { containers: { env: { name: string; value: string }[] }[] } }).spec.containers[0]!.env;
    expect(String(s.completions)).toBe(env.find((e) => e.name === 'SHARDS')!.value);
  });

  it('pod i processes shard i/N into its own workspace; exit 3 completes the index, other failures fail it', () => {
    const script = containerScript('indexed-job.yaml')!;
    const ok = run(script, { JOB_COMPLETION_INDEX: '2', FAKE_RC: '3' });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`postfocus process /data/acq --workspace ${tmp.dir}/shards/shard-2-of-4 --shard 2/4 --quiet`);
    expect(run(script, { JOB_COMPLETION_INDEX: '2', FAKE_RC: '1' }).status).toBe(1);
    expect(run(script, {}).status).not.toBe(0);
  });

  it('the merge job merges every shard folder', () => {
    const r = run(containerScript('merge-job.yaml')!, {});
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`postfocus merge ${tmp.dir}/merged ${[0, 1, 2, 3].map((i) => `${tmp.dir}/shards/shard-${i}-of-4`).join(' ')}`);
  });
});
