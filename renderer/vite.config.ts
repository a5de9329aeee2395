// Builds the renderer (Svelte 5) into dist/renderer. `base: './'` keeps asset
// URLs relative, so the same bundle loads from the Electron app protocol and
// from the web shell.
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: true,
    // One small app: keep the module graph in one chunk, no inline assets
    // (the CSP allows only 'self' for scripts and styles).
    assetsInlineLimit: 0,
    cssCodeSplit: false,
  },
  server: { strictPort: false },
});
