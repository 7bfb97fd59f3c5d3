// The program benchmark's builds: every program of bench/programs/, linked with every allocator,
// runs to the end with status 0 and prints what it prints on wasi-libc's dlmalloc. Runs what
// `bash build.sh` put in build/programs, each once, through bench/program.js. Times nothing.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { ALLOCATORS, PROGRAMS, programFile, runOnce } from '../bench/programs.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [baseline, ...others] = ALLOCATORS;

// What each program prints when it has checked its own work: a summary that a failed run
// (no output, or an error) cannot match.
const SUMMARY = {
  json: /^json: 6 documents, \d+ bytes, \d+ nodes, \d+ strings, fnv1a [0-9a-f]{8}\n$/,
  wordfreq:
    /^wordfreq: 1600000 words, \d+ distinct, \d+ buckets, fnv1a [0-9a-f]{8}; top:( \w+ \d+){10}\n$/,
  binarytrees: /^long lived tree of depth 16\t check: 131071\n$/m,
};

function built(program, allocator) {
  const file = programFile(program, allocator);
  const name = relative(root, file);
  assert.ok(existsSync(file), `${name} is missing: run bash build.sh (npm test does) first`);
  return file;
}

function assertRan(run, what) {
  assert.equal(run.trap, undefined, `${what} trapped:\n${run.trap}`);
  assert.equal(run.status, 0, `${what} exited with status ${run.status}:\n${run.stderr}`);
}

for (const { name: program } of PROGRAMS) {
  test(`${program} prints the same with every allocator as with ${baseline.name}`, async (t) => {
    const expected = await runOnce(built(program, baseline));
    assertRan(expected, `${program} with ${baseline.name}`);
    assert.match(expected.stdout, SUMMARY[program]);
    for (const allocator of others) {
      const file = programFile(program, allocator);
      if (allocator.optional && !existsSync(file)) {
        t.diagnostic(`${relative(root, file)} is not built (${allocator.note}): not run`);
        continue;
      }
      const run = await runOnce(built(program, allocator));
      assertRan(run, `${program} with ${allocator.name}`);
      assert.equal(run.stdout, expected.stdout, `${program} with ${allocator.name}`);
      assert.ok(run.memoryBytes > 0, 'the memory at exit is read from the instance');
    }
  });
}

test('a program that traps is reported as a failure, not as a run', async (t) => {
  const file = join(root, 'build/examples/double-free.wasi.wasm'); // tagalloc traps on it
  if (!existsSync(file)) {
    t.skip('build/examples/double-free.wasi.wasm is not built (bash build.sh wasi examples)');
    return;
  }
  const run = await runOnce(file);
  assert.equal(run.status, 134);
  assert.match(run.trap, /unreachable/);
});
