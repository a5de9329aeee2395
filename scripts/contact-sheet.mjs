// Renders the virtual microscope's contact sheet (rows: NALM6-like, SKOV3-like,
// beads; columns: Δz = −10, −5, 0, +5, +10 µm) to docs/images/simulator-contact-sheet.png.
// Usage: node scripts/contact-sheet.mjs [output.png]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'docs/images/simulator-contact-sheet.png');
const r = spawnSync(process.execPath, [join(root, 'bin/postfocus.js'), 'simulate', '--contact-sheet', out], { stdio: 'inherit' });
process.exit(r.status ?? 1);
