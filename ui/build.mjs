// Builds the page of tock ui: node ui/build.mjs OUTDIR
// OUTDIR/app.js (src/app.js and its modules, bundled and minified),
// OUTDIR/app.css and OUTDIR/index.html (copied).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node build.mjs OUTDIR');
  process.exit(2);
}
const outdir = resolve(out);
mkdirSync(outdir, { recursive: true });

try {
  await build({
    entryPoints: [join(here, 'src', 'app.js')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'warning',
  });
} catch (e) {
  process.exit(1);
}
copyFileSync(join(here, 'src', 'app.css'), join(outdir, 'app.css'));
copyFileSync(join(here, 'src', 'index.html'), join(outdir, 'index.html'));
