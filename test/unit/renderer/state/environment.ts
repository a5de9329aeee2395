/**
 * Test environment of the renderer state classes: plain Node globals, but
 * modules transformed for the web, so the Svelte plugin compiles *.svelte.ts
 * for the client runtime (reactive $state / $derived), as in the app.
 */
import type { Environment } from 'vitest/environments';

export default {
  name: 'svelte-client',
  transformMode: 'web',
  setup() {
    return { teardown() {} };
  },
} satisfies Environment;
