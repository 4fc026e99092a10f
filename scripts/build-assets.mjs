// Builds the stylesheet (sass) and the enhancement script (esbuild) into public/build.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as sass from 'sass';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}public/build`;
mkdirSync(out, { recursive: true });

const css = sass.compile(`${root}src/web/styles/app.scss`, {
  loadPaths: [root],
  style: 'compressed',
  quietDeps: true,
  logger: sass.Logger.silent,
  silenceDeprecations: ['import', 'global-builtin'],
});
writeFileSync(`${out}/app.css`, css.css);

await build({
  entryPoints: [`${root}src/web/app.ts`],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outfile: `${out}/app.js`,
  logLevel: 'warning',
});
// The network page's graph (Cytoscape.js), loaded only by that page.
await build({
  entryPoints: [`${root}src/web/network-graph.ts`],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outfile: `${out}/network.js`,
  logLevel: 'warning',
});
console.log('assets built: public/build/app.css, public/build/app.js, public/build/network.js');
