// Import rules of the architecture (shared/DESIGN.md "Boundaries"), checked by
// `npm run check` (npx depcruise main preload renderer/src bench). Each rule names the
// boundary it keeps so that a failure says which one broke.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'renderer-only-through-contract',
      comment:
        'The renderer runs in a sandboxed page: it imports its own files, svelte, and types from preload/api.ts, nothing else of ours and nothing of node.',
      severity: 'error',
      from: { path: '^renderer/src/' },
      to: {
        pathNot: ['^renderer/', '^preload/api\\.ts$', '^node_modules/svelte/'],
      },
    },
    {
      name: 'only-electron-shell-imports-electron',
      comment: 'Everything but main/electron (and the preload bridge) runs under plain Node and in tests.',
      severity: 'error',
      from: { pathNot: ['^main/electron/', '^preload/index\\.ts$'] },
      to: { path: ['^node_modules/electron/', '^electron$'] },
    },
    {
      name: 'only-session-imports-onnxruntime',
      comment: 'One module maps devices to execution providers and creates sessions; the rest works on plain tensors.',
      severity: 'error',
      from: { path: '^(main|preload|renderer|bench)/', pathNot: '^main/inference/session\\.ts$' },
      to: { path: ['^node_modules/onnxruntime-(node|common)/', '^onnxruntime-(node|common)$'] },
    },
    {
      name: 'only-store-imports-sqlite',
      comment: 'No SQL outside the store: the database is reached through its typed query modules.',
      severity: 'error',
      from: { path: '^(main|preload|renderer|bench)/', pathNot: '^main/store/' },
      to: { path: ['^node_modules/better-sqlite3/', '^better-sqlite3$'] },
    },
    {
      name: 'store-does-not-import-export',
      comment: 'export/ reads through the store; the store importing export/ would make a cycle between the folders.',
      severity: 'error',
      from: { path: '^main/store/' },
      to: { path: '^main/export/' },
    },
    {
      name: 'main-does-not-import-bench',
      comment: 'Benchmarks measure the app; the app does not depend on them.',
      severity: 'error',
      from: { path: '^main/' },
      to: { path: '^bench/' },
    },
    {
      name: 'main-takes-domain-types-from-common',
      comment:
        'Domain types live in main/common; in main/ only the shells and the Station (which implements StationApi) import the contract file.',
      severity: 'error',
      from: { path: '^main/', pathNot: ['^main/electron/', '^main/server/', '^main/station/(station|validate)\\.ts$'] },
      to: { path: '^preload/' },
    },
    {
      name: 'common-is-pure',
      comment: 'main/common holds pure domain types and rules: no node builtins and none of our other folders.',
      severity: 'error',
      from: { path: '^main/common/' },
      to: { path: '^(main|preload|renderer|bench|scripts)/', pathNot: '^main/common/' },
    },
    {
      name: 'common-imports-no-node',
      comment: 'main/common runs anywhere (renderer included): no node: builtins.',
      severity: 'error',
      from: { path: '^main/common/' },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a type is a dependency on where it lives.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.svelte', '.json'],
    },
    // `./x.js` in TypeScript sources means `./x.ts`.
    extraExtensionsToScan: ['.svelte'],
    reporterOptions: { text: { highlightFocused: true } },
  },
};
