import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../../main/cli/args.js';
import serve from '../../../../main/cli/commands/serve.js';

describe('postfocus serve options', () => {
  it('refuses an unknown restoration sampler before starting anything, naming the choices', async () => {
    const run = serve.run(['/nonexistent-ws', '--sampler', 'fastest']);
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(run).rejects.toThrow(/--sampler must be one of .*\bddim\b.*\bstudent\b.*, got "fastest"/);
  });
  it('says which sampler is the default in its help', () => {
    expect(serve.help).toMatch(/--sampler <name> .*\(default student;/);
  });
});
