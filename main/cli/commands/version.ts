import { createRequire } from 'node:module';
import { parseArgs } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  summary: 'print the version of PostFocus Station and its runtime',
  help: 'Usage: postfocus version [--json]\n\nPrints the app version, Node version and platform.',
  async run(argv) {
    const { flags } = parseArgs(argv, { json: { type: 'boolean' } });
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string };
    const info = { version: pkg.version, node: process.versions.node, platform: `${process.platform}-${process.arch}` };
    console.log(flags.json ? JSON.stringify(info) : `postfocus ${info.version} (node ${info.node}, ${info.platform})`);
    return 0;
  },
};
export default command;
