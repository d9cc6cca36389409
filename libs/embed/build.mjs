// Bundles src/index.ts into dist/embed.js (served by the API as /embed.js) and enforces the size budget.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET_GZIP_BYTES = 8 * 1024;
const here = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const outfile = join(here, 'dist', 'embed.js');

await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  outfile,
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2018',
  platform: 'browser',
  legalComments: 'none',
  define: { __NF_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
});

const raw = readFileSync(outfile);
const gzipped = gzipSync(raw, { level: 9 }).length;
console.log(`embed.js: ${raw.length} bytes, ${gzipped} bytes gzipped (budget ${BUDGET_GZIP_BYTES})`);
if (gzipped > BUDGET_GZIP_BYTES) {
  console.error(`embed.js is over the ${BUDGET_GZIP_BYTES} byte gzip budget`);
  process.exit(1);
}
