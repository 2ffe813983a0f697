// Bundles src/ into dist/ with esbuild: one file per entry, dependencies left external.
// A single bundled file starts noticeably faster than many ES modules or a TypeScript loader,
// and `gradsheet solve` is often run once per instance by scripts, so start-up matters.
import { build } from 'esbuild';
import { chmod, rm } from 'node:fs/promises';

// chunk names carry content hashes: clear old ones so dist/ holds exactly this build
await rm('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts', index: 'src/index.ts' },
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  banner: { js: '' },
  logLevel: 'warning',
});
await chmod('dist/cli.js', 0o755);
