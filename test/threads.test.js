// Threads sharing one heap: build/emscripten-mt/libtagalloc.a under Node and in Chromium, the
// same core natively under ThreadSanitizer with src/lock.c's pthread mutex (and without it, to
// show that the tool finds races), the lock covering every public call, and the single-threaded
// drop-in refused by a -pthread link. Runs what `bash build.sh threads` put in build/threads.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../web/serve.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const seed = Number(process.env.TAGALLOC_SEED ?? Date.now() % 2 ** 32);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', // as in
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']; // browser.test.js
const THREAD_COUNTS = [2, 4, 8];
const SEEDS_EACH = 2; // runs of each thread count, seeds seed, seed + 1, ...
const OPS = 200000; // per thread, each run: about a second under Node on two cores
const TSAN_OPS = 30000; // ThreadSanitizer runs about ten times slower
const TSAN_OPTIONS = 'halt_on_error=1 exitcode=66'; // stop at the first race reported

function artefact(path) {
  const file = join(root, path);
  assert.ok(existsSync(file), `${path} is missing: run bash build.sh (npm test does) first`);
  return file;
}

function read(path) {
  return readFileSync(artefact(path), 'utf8');
}

/** The names of the functions a C header declares (prototypes, not typedefs or macros). */
function declaredFunctions(header) {
  const code = header.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^#.*$/gm, '');
  const names = [];
  for (const statement of code.split(/[;{}]/)) {
    const match = statement.match(/\b(tagalloc_\w+)\s*\(/);
    if (match && !/^\s*typedef\b/.test(statement)) names.push(match[1]);
  }
  return names.sort();
}

/** Parses stress.c's report; fails the test on anything but a clean run. */
function assertStressed({ status, stdout, stderr, signal }, threads) {
  const output = `${stdout}\n${stderr}`;
  assert.equal(status, 0, `exit ${status} ${signal ?? ''}:\n${output}`);
  assert.match(stdout, /^stress: check ok; in_use \d+ bytes, bad_frees 0$/m, output);
  assert.match(stdout, /^stress: ok$/m, output);
  const run = stdout.match(
    /^stress: (\d+) threads, seed \d+, (\d+) ops, (\d+) blocks handed off, (\d+) taken by another/m);
  assert.ok(run, output);
  assert.equal(Number(run[1]), threads);
  assert.ok(Number(run[4]) > 0, `no block crossed threads:\n${output}`);
  const checks = stdout.match(/ (\d+) checks while allocating$/m);
  assert.ok(checks && Number(checks[1]) > 0, `no tagalloc_check() while allocating:\n${output}`);
  const memory = stdout.match(
    /^stress: memory (\d+) -> (\d+) bytes, grown (\d+) times by (\d+) threads$/m);
  assert.ok(memory, output);
  assert.ok(Number(memory[2]) > Number(memory[1]) && Number(memory[3]) > 0,
    `the heap never grew while the threads ran:\n${output}`);
  return { ops: Number(run[2]), growers: Number(memory[4]) };
}

test('src/unlocked.h renames, and src/lock.c locks, every function src/tagalloc.h declares', () => {
  const declared = declaredFunctions(read('src/tagalloc.h'));
  assert.ok(declared.includes('tagalloc_malloc') && declared.includes('tagalloc_set_events'),
    declared.join(' '));
  const renamed = [...read('src/unlocked.h').matchAll(/^#define (tagalloc_\w+) (\w+)$/gm)];
  for (const [, name, to] of renamed) {
    assert.equal(to, name.replace(/^tagalloc_/, 'tagalloc_unlocked_'));
  }
  assert.deepEqual(renamed.map(([, name]) => name).sort(), declared, 'src/unlocked.h');
  const lock = read('src/lock.c');
  const unlocked = [...read('src/unlocked_calls.h').matchAll(/^UNLOCKED\((\w+)\)$/gm)]
    .map(([, name]) => `tagalloc_${name}`);
  assert.deepEqual(unlocked.sort(), declared, 'src/unlocked_calls.h UNLOCKED()');
  const defined = [...lock.matchAll(/^TAGALLOC_EXPORT\((tagalloc_\w+)\)/gm)]
    .map(([, name]) => name);
  assert.deepEqual(defined.sort(), declared, 'src/lock.c definitions');
});

test('in the -mt library only lock.o defines public names; the core defines unlocked ones', () => {
  const archive = artefact('build/emscripten-mt/libtagalloc.a');
  const nm = spawnSync('llvm-nm', ['--defined-only', archive], { encoding: 'utf8' });
  assert.equal(nm.status, 0, nm.stderr);
  const definedBy = new Map(); // member -> names
  let member;
  for (const line of nm.stdout.split('\n')) {
    const header = line.match(/^(.+):$/);
    if (header) {
      member = header[1];
      definedBy.set(member, []);
    } else if (line.trim()) {
      definedBy.get(member).push(line.trim().split(/\s+/).pop());
    }
  }
  const declared = declaredFunctions(read('src/tagalloc.h'));
  const isPublic = (name) => name.startsWith('tagalloc_') && !name.startsWith('tagalloc_unlocked_');
  for (const [name, names] of definedBy) {
    if (name === 'lock.o') {
      assert.deepEqual(names.filter(isPublic).sort(), declared, 'lock.o defines every public name');
    } else {
      assert.deepEqual(names.filter(isPublic), [], `${name} defines a public name, unlocked`);
    }
  }
  assert.ok(definedBy.has('lock.o') && definedBy.has('core.o'), [...definedBy.keys()].join(' '));
  const core = [...definedBy.values()].flat()
    .filter((name) => name.startsWith('tagalloc_unlocked_'));
  assert.deepEqual(core.sort(),
    declared.map((name) => name.replace('tagalloc_', 'tagalloc_unlocked_')).sort());
});

test('an emcc -pthread link of the single-threaded drop-in fails and names the -mt library', () => {
  const log = read('build/threads/misuse-link.txt');
  assert.doesNotMatch(log, /^linked$/m, 'the single-threaded library linked with -pthread');
  assert.match(log, /--shared-memory is disallowed by .*build\/emscripten-mt\/libtagalloc\.a/, log);
});

for (const threads of THREAD_COUNTS) {
  test(`${threads} threads share the -mt drop-in under Node: blocks cross threads, heap grows`, (t) => {
    t.diagnostic(`seed ${seed} (repeat with TAGALLOC_SEED=${seed} npm test)`);
    for (let run = 0; run < SEEDS_EACH; run++) {
      const result = spawnSync(process.execPath, ['--no-warnings', '--no-experimental-fetch',
        artefact('build/threads/stress.cjs'), String(threads), String(seed + run), String(OPS)],
      { cwd: root, encoding: 'utf8', timeout: 120000 });
      const { growers } = assertStressed(result, threads);
      t.diagnostic(`seed ${seed + run}: the heap grew in calls of ${growers} of ${threads}`);
    }
  });
}

for (const threads of THREAD_COUNTS) {
  test(`${threads} threads on the native core with the pthread lock: TSan finds no race`, (t) => {
    t.diagnostic(`seed ${seed} (repeat with TAGALLOC_SEED=${seed} npm test)`);
    const result = spawnSync(artefact('build/threads/tsan/stress'),
      [String(threads), String(seed), String(TSAN_OPS)],
      { encoding: 'utf8', timeout: 120000, env: { ...process.env, TSAN_OPTIONS } });
    assert.doesNotMatch(result.stderr, /ThreadSanitizer/, result.stderr);
    assertStressed(result, threads);
  });
}

test('without the lock, ThreadSanitizer reports a data race in the core (so it can fail)', () => {
  const result = spawnSync(artefact('build/threads/tsan/stress-unlocked'),
    ['4', String(seed), String(TSAN_OPS)],
    { encoding: 'utf8', timeout: 120000, env: { ...process.env, TSAN_OPTIONS } });
  assert.equal(result.status, 66, `${result.stdout}\n${result.stderr}`);
  assert.match(result.stderr, /WARNING: ThreadSanitizer: data race/);
  assert.match(result.stderr, /src\/(heap|index|check)\.c/);
});

test('4 threads share the -mt drop-in in Chromium, its main thread among them', async (t) => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`this test needs Chromium at ${CHROMIUM}: apt-get install chromium ` +
      '(or set CHROMIUM to its path); it never downloads a browser');
  }
  artefact('build/threads/web/stress.js');
  t.diagnostic(`seed ${seed} (repeat with TAGALLOC_SEED=${seed} npm test)`);
  const server = await startServer({ port: 0, served: ['build/threads/web'] });
  t.after(() => server.close());
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const lines = [];
  page.on('console', (message) => lines.push(message.text()));
  page.on('pageerror', (error) => lines.push(`uncaught: ${error.message}`));
  const origin = new URL(server.url).origin;
  await page.goto(`${origin}/build/threads/web/stress.html?threads=4&seed=${seed}&ops=${OPS / 2}`);
  assert.equal(await page.evaluate(() => crossOriginIsolated), true, 'COOP/COEP headers missing');
  await page.waitForSelector('body[data-exit]', { timeout: 120000 });
  const status = Number(await page.getAttribute('body', 'data-exit'));
  const stdout = lines.join('\n');
  assertStressed({ status, stdout, stderr: '' }, 4);
});
