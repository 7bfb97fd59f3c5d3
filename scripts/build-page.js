#!/usr/bin/env node
// What `npm start` and `npm run screenshot` build first: only what the page needs (build.sh's
// `page` steps: deps, module, web), and only when one of their sources is newer than what they
// wrote. build.sh stays the one place with compiler flags; this file only compares times.
//   node scripts/build-page.js           builds when something is stale, else says it is current
//   node scripts/build-page.js --check   prints what is stale and exits 1, or exits 0; builds nothing
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Each output and the sources it is built from (directories count their files). */
const TARGETS = [
  { outputs: ['wasm/tagalloc.wasm', 'wasm/tagalloc.debug.wasm'],
    sources: ['src', 'wasm/module.c', 'build.sh'] },
  { outputs: ['web/traces/index.json'], sources: ['traces/malloclab', 'build.sh'] },
  { outputs: ['web/programs/index.json', 'web/programs/wordcount.wasm', 'web/programs/tree.wasm'],
    sources: ['examples/page', 'test/record/tree.c', 'src', 'build.sh'] },
  { outputs: ['node_modules/.package-lock.json'], sources: ['package-lock.json'] },
];

function newest(root, path) {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const stat = statSync(full);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(full).map((name) => newest(root, join(path, name))));
}

function oldest(root, paths) {
  return Math.min(...paths.map((p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs
    : -Infinity)));
}

/** The outputs under `root` that are missing or older than one of their sources. */
export function stale(root = ROOT) {
  return TARGETS.filter(({ outputs, sources }) => oldest(root, outputs) <
    Math.max(...sources.map((source) => newest(root, source)))).flatMap((t) => t.outputs);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = stale();
  if (process.argv.includes('--check')) {
    if (out.length) console.log(`stale: ${out.join(' ')}`);
    process.exit(out.length ? 1 : 0);
  }
  if (out.length) {
    console.log(`build-page: ${out.join(', ')} out of date; bash build.sh page`);
    execFileSync('bash', [join(ROOT, 'build.sh'), 'page'], { stdio: 'inherit' });
  } else {
    console.log('build-page: the module and the page\'s traces are current');
  }
}
