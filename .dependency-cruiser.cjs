/**
 * The layering of STYLE.md, checked by `npm test` (scripts/test.sh): data flows one way,
 *   base (errors, validation, json, html, text, trace, version) → engine → models → contract
 *   → problems → { grade, render } → store → server → commands (cli, index)
 * and nothing lower imports anything higher; no import circles; the pure core (engine, models,
 * contract, problems, grade) touches no file system and starts no process.
 */
const layer = (name, path) => ({ name, path });
const LAYERS = [
  layer('base', '^src/(errors|validation|json|json-array|json-syntax|trace|version|html|lru)\\.ts$'),
  layer('engine', '^src/engine/'),
  layer('models', '^src/models/'),
  layer('contract', '^src/contract/'),
  layer('problems', '^src/problems/'),
  layer('grade', '^src/grade/'),
  layer('render', '^src/render/'),
  layer('store', '^src/store/'),
  layer('server', '^src/server/'),
  layer('commands', '^src/(commands/|cli\\.ts$|index\\.ts$)'),
];
// grade and render are siblings: neither imports the other
const SIBLINGS = { grade: ['render'], render: ['grade'] };

const upward = LAYERS.flatMap((low, i) => {
  const higher = LAYERS.slice(i + 1).map((l) => l.path);
  const sideways = (SIBLINGS[low.name] ?? []).map((n) => LAYERS.find((l) => l.name === n).path);
  // grade and render sit side by side above problems: only what is above both counts as higher
  const above = low.name === 'grade' ? higher.filter((p) => p !== LAYERS.find((l) => l.name === 'render').path) : higher;
  const targets = [...new Set([...above, ...sideways])];
  return targets.length ? [{
    name: `no-upward-from-${low.name}`,
    comment: `${low.name} must not import from a layer above it (STYLE.md: data flows one way)`,
    severity: 'error',
    from: { path: low.path },
    to: { path: targets },
  }] : [];
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circular',
      comment: 'no import circles, type-only imports included',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'pure-core',
      comment: 'the core takes data and returns data: file I/O and processes belong to commands (and the browser to render)',
      severity: 'error',
      from: { path: '^src/(engine|models|contract|problems|grade)/' },
      to: { path: '^(node:)?(fs|fs/promises|child_process|worker_threads)$', dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
