// The package as npm packs it, and what `npm start` builds: the page's parts, when stale.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { stale } from '../scripts/build-page.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

test('every file the README links to is in the packed package, with an MIT LICENSE', () => {
  const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--silent'],
    { cwd: ROOT, encoding: 'utf8' }));
  const files = new Set(packed.files.map((f) => f.path));
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1])
    .filter((link) => !/^[a-z]+:/.test(link));
  assert.ok(links.length > 5);
  assert.deepEqual(links.filter((link) => !files.has(link)), [], 'links to files not packed');
  assert.ok(files.has('LICENSE'));
  const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(license, /^MIT License/);
  assert.match(license, /tagalloc contributors/);
  assert.equal(pkg.license, 'MIT');
});

test('npm start builds only the page\'s steps, and only when a source is newer', () => {
  assert.doesNotMatch(pkg.scripts.start, /build\.sh(\s*&&|\s*$)/, 'not the whole build');
  assert.match(pkg.scripts.start, /scripts\/build-page\.js/);
  const dir = mkdtempSync(join(tmpdir(), 'tagalloc-page-'));
  try {
    const programs = ['web/programs/index.json', 'web/programs/wordcount.wasm',
      'web/programs/tree.wasm'];
    const files = ['src/heap.c', 'wasm/module.c', 'build.sh', 'traces/malloclab/a.rep',
      'package-lock.json', 'examples/page/wordcount.c', 'test/record/tree.c',
      'wasm/tagalloc.wasm', 'wasm/tagalloc.debug.wasm', 'web/traces/index.json',
      'node_modules/.package-lock.json', ...programs];
    const at = (file, seconds) => utimesSync(join(dir, file), seconds, seconds);
    for (const file of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      writeFileSync(join(dir, file), '');
    }
    for (const file of files.slice(0, 7)) at(file, 1000); // sources
    for (const file of files.slice(7)) at(file, 2000);    // outputs, built after them
    assert.deepEqual(stale(dir), []);
    at('src/heap.c', 3000); // the page's module and its programs (built with the core)
    assert.deepEqual(stale(dir), ['wasm/tagalloc.wasm', 'wasm/tagalloc.debug.wasm', ...programs]);
    at('src/heap.c', 1000);
    at('examples/page/wordcount.c', 3000);
    assert.deepEqual(stale(dir), programs);
    at('examples/page/wordcount.c', 1000);
    at('src/heap.c', 1000);
    at('traces/malloclab/a.rep', 3000);
    assert.deepEqual(stale(dir), ['web/traces/index.json']);
    rmSync(join(dir, 'wasm/tagalloc.debug.wasm'));
    assert.deepEqual(stale(dir), ['wasm/tagalloc.wasm', 'wasm/tagalloc.debug.wasm',
      'web/traces/index.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('only npm run screenshot rewrites the README\'s screenshot', () => {
  const browser = readFileSync(join(ROOT, 'test/browser.test.js'), 'utf8');
  assert.match(browser, /TAGALLOC_README_SCREENSHOT\s*\n?\s*\? '\.\.\/docs\/screenshot\.png' : '\.\.\/build\/screenshot\.png'/);
  assert.match(pkg.scripts.screenshot, /TAGALLOC_README_SCREENSHOT=1/);
  assert.doesNotMatch(pkg.scripts.test, /TAGALLOC_README_SCREENSHOT/);
});
