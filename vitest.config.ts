import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores here: integration tests spawn real processes of their own.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: ['test/unit/renderer/state/**'],
        },
      },
      {
        // Renderer state classes (*.svelte.ts) compiled by the Svelte plugin against
        // Svelte's client runtime, as in the app, so $state/$derived react as there.
        extends: true,
        plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
        resolve: { conditions: ['browser'] },
        test: { name: 'renderer', include: ['test/unit/renderer/state/**/*.test.ts'], environment: './test/unit/renderer/state/environment.ts' },
      },
    ],
  },
});
