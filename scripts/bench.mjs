#!/usr/bin/env node
// `npm run bench -- <name>` runs bench/<name>.bench.mjs (plain ESM over the built dist; `npm run build` first).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const available = readdirSync(resolve(root, 'bench'))
  .filter((f) => /\.bench\.(mjs|js)$/.test(f))
  .map((f) => f.replace(/\.bench\.(mjs|js)$/, ''));
const [name, ...args] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <name>   (available: ${available.join(', ') || 'none'})`);
  process.exit(name ? 1 : 0);
}
const file = ['mjs', 'js'].map((ext) => resolve(root, 'bench', `${name}.bench.${ext}`)).find(existsSync);
const r = spawnSync(process.execPath, [file, ...args], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
