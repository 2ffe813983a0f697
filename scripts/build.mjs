// Bundles src/ into dist/ with esbuild: one file per entry (plus shared chunks), with the
// dependencies inside. Start-up matters twice over: `gradsheet solve` is often run once per
// instance by scripts, and `gradsheet render` loads Puppeteer, KaTeX, Handlebars, zod and pdf-lib
// while Chromium starts. Loading them as bundled, minified chunks took about a third of the time
// that loading them from node_modules (hundreds of files, resolved one by one) took.
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
  minify: !process.env.GRADSHEET_NO_MINIFY,
  // dependencies' ES module builds: a dynamic import() of a CommonJS one loses its named exports in a split bundle
  mainFields: ['module', 'main'],
  sourcemap: true,
  // CommonJS dependencies (Handlebars, seedrandom, pdf-lib) call require() for Node's built-ins
  banner: { js: "import { createRequire as __gradsheetCreateRequire } from 'node:module'; const require = __gradsheetCreateRequire(import.meta.url);" },
  // a native addon (compiled at npm ci) is loaded from node_modules, not bundled; pg's optional
  // libpq binding is not installed
  external: ['better-sqlite3', 'pg-native'],
  logLevel: 'warning',
});
await chmod('dist/cli.js', 0o755);
