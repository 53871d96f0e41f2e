// Bundles the demo page into dist/ (served by `alexho-local up`): dist/app.js, index.html, styles.css.
// The package comes in through its public entry points (`@alexho/invoice-realtime` and `/react`,
// a link to `..`, so it must be built first); React is this folder's copy, the only one bundled.
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
const require = createRequire(import.meta.url);
const ownCopy = (name) => dirname(require.resolve(`${name}/package.json`));

await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });
await build({
  entryPoints: [join(here, 'src', 'main.tsx')],
  outfile: join(dist, 'app.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  // The linked package would otherwise find React in ../node_modules: two copies break hooks.
  alias: { react: ownCopy('react'), 'react-dom': ownCopy('react-dom') },
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
await Promise.all(['index.html', 'styles.css'].map((name) => copyFile(join(here, name), join(dist, name))));
console.log(`demo page built: ${join(dist, 'index.html')}`);
