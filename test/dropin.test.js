// The drop-in builds: libc's own allocations go to tagalloc, wasi-libc's dlmalloc is never
// linked, and a double free traps. Runs the programs that `bash build.sh` put in build/examples.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Functions of wasi-libc's dlmalloc.o (the static ones that survive inlining) and the sbrk it
// pulls in; the control build shows which of them a linked dlmalloc leaves in the name section.
const DLMALLOC_NAMES = new Set([
  'dlmalloc', 'dlfree', 'dlrealloc', 'dlcalloc', 'dlmemalign', 'dispose_chunk', 'internal_memalign',
  'sys_alloc', 'sys_trim', 'tmalloc_large', 'tmalloc_small', 'init_mparams', 'prepend_alloc',
  'add_segment', 'release_unused_segments', 'sbrk',
]);

function artefact(path) {
  const file = join(root, path);
  assert.ok(existsSync(file), `${path} is missing: run bash build.sh (npm test does) first`);
  return file;
}

/** Runs a built example under node: wasi programs through examples/run-wasi.mjs. */
function run(path) {
  const file = artefact(path);
  const args = path.endsWith('.wasm') ? [join(root, 'examples/run-wasi.mjs'), file] : [file];
  return spawnSync(process.execPath, ['--no-warnings', '--no-experimental-fetch', ...args], {
    cwd: root, encoding: 'utf8',
  });
}

/** The function names in a wasm file's name section (subsection 1). */
function functionNames(path) {
  const module = new WebAssembly.Module(readFileSync(artefact(path)));
  const [section] = WebAssembly.Module.customSections(module, 'name');
  assert.ok(section, `${path} has no name section, so nothing can be said about what it links`);
  const bytes = new Uint8Array(section);
  let at = 0;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  const names = [];
  while (at < bytes.length) {
    const id = bytes[at++];
    const end = leb() + at;
    if (id === 1) {
      for (let count = leb(); count > 0; count--) {
        leb(); // the function index
        const length = leb();
        names.push(new TextDecoder().decode(bytes.subarray(at, at + length)));
        at += length;
      }
    }
    at = end;
  }
  return names;
}

function assertServed({ status, stdout, stderr }) {
  const output = `${stdout}\n${stderr}`;
  assert.equal(status, 0, output);
  assert.match(stdout, /^tagalloc served libc: yes$/m, output);
  assert.doesNotMatch(stdout, / NO$/m, output);
  const stats = stdout.match(/^stats: heap_size (\d+), in_use (\d+),.* bad_frees (\d+)$/m);
  assert.ok(stats, `no stats line in:\n${output}`);
  assert.ok(Number(stats[2]) > 0, 'libc allocations show in tagalloc\'s in_use');
  assert.equal(Number(stats[3]), 0, 'no bad frees');
  const memory = stdout.match(/memory (\d+) -> (\d+) bytes/);
  assert.ok(memory && Number(memory[2]) > Number(memory[1]), 'realloc made the memory grow');
}

test('the wasi build serves strdup, qsort records, stdio and realloc from tagalloc', () => {
  const result = run('build/examples/libc-demo.wasi.wasm');
  assertServed(result);
  assert.match(result.stdout, /^file: wrote and read back 10 lines/m, 'the /tmp preopen works');
});

test('the Emscripten build serves strdup, qsort records, stdio and realloc from tagalloc', () => {
  assertServed(run('build/examples/libc-demo.emscripten.cjs'));
});

test('README\'s wasi link line works with -O2 -s, and the small libraries serve the same calls', () => {
  // -s strips the features section before clang runs wasm-opt: the drop-in uses no bulk memory
  for (const path of ['build/examples/libc-demo.stripped.wasi.wasm',
    'build/examples/libc-demo.small.wasi.wasm']) {
    const result = run(path);
    assertServed(result);
    assert.match(result.stdout, /^file: wrote and read back 10 lines/m, path);
  }
  assertServed(run('build/examples/libc-demo.small.emscripten.cjs'));
});

test('an Emscripten SAFE_HEAP build links against grow.c\'s sbrk and passes its checks', () => {
  assertServed(run('build/examples/libc-demo.safe-heap.emscripten.cjs'));
});

test('the wasi builds link none of wasi-libc\'s dlmalloc functions', () => {
  for (const name of ['libc-demo', 'double-free']) {
    const path = `build/examples/${name}.wasi.wasm`;
    const names = functionNames(path);
    // free and malloc are aliases of these (src/libc.c): one function, named once
    assert.ok(names.includes('tagalloc_free') && names.includes('tagalloc_malloc'),
      `${path} has names`);
    assert.deepEqual(names.filter((name) => DLMALLOC_NAMES.has(name)), [], path);
  }
});

test('the same check finds dlmalloc in a program built without tagalloc', () => {
  const names = functionNames('build/examples/double-free.dlmalloc.wasi.wasm');
  assert.ok(names.filter((name) => DLMALLOC_NAMES.has(name)).length > 0, names.join(' '));
});

test('a double free traps inside tagalloc_free in the wasi drop-in', () => {
  const { status, stdout, stderr } = run('build/examples/double-free.wasi.wasm');
  assert.equal(status, 134, `${stdout}\n${stderr}`);
  assert.equal(stdout, 'freed once\n');
  assert.match(stderr, /RuntimeError: unreachable/);
  assert.match(stderr, /at tagalloc_free /);
});

test('a double free traps in the Emscripten drop-in', () => {
  const { status, stdout, stderr } = run('build/examples/double-free.emscripten.cjs');
  assert.notEqual(status, 0, `${stdout}\n${stderr}`);
  assert.equal(stdout, 'freed once\n');
  assert.match(stderr, /RuntimeError: unreachable/);
});
