// bench/compare.js, the A/B comparison of builds, and `bash build.sh variant`, which builds what it
// compares. Assumes `bash build.sh` ran. Asserts what is reported, never how fast anything ran.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTraces } from '../bench/trace.js';
import { check, instantiate } from '../bench/replay.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = (file) => path.join('build', 'bench', file);

function compare(...args) {
  const script = ['bench/compare.js', ...args];
  return spawnSync(process.execPath, script, { cwd: root, encoding: 'utf8' });
}

/** The heap end a module's checking pass reports for a malloc-lab trace. */
function heapEnd(file, name) {
  const trace = readTraces(path.join(root, 'traces', 'malloclab')).find((t) => t.name === name);
  const module = new WebAssembly.Module(fs.readFileSync(path.join(root, file)));
  return check(instantiate(module, { name: file, wasm: file }), trace).heapBytes;
}

/** The report's lines for one trace: [warm, cold], each as its cells. */
function linesFor(stdout, trace) {
  return stdout.split('\n').filter((l) => l.startsWith(`${trace} `))
    .map((l) => l.trim().split(/\s+/));
}

test('compare reports each module against the first, a trace a line, with its heap end', () => {
  const base = built('tagalloc-wasi.wasm'), other = built('dlmalloc-wasi.wasm');
  const run = compare('--rounds', '1', '--traces', 'short1,coalescing', base, other);
  assert.equal(run.status, 0, run.stderr);
  for (const name of ['short1-bal', 'coalescing-bal']) {
    const [line] = linesFor(run.stdout, name);
    assert.ok(line, `no line for ${name}:\n${run.stdout}`);
    assert.match(line[2], /^ms$/, `the base's own time comes first: ${line.join(' ')}`);
    assert.ok(Number(line[3]) > 0, `a ratio for the second module: ${line.join(' ')}`);
    assert.deepEqual(line.slice(4).map(Number), [heapEnd(base, name), heapEnd(other, name)]);
  }
  assert.match(run.stdout, /^malloclab total /m);
  const bytes = (file) => fs.statSync(path.join(root, file)).size;
  const code = run.stdout.split('\n').find((l) => l.startsWith('code bytes'));
  assert.deepEqual(code?.trim().split(/\s+/).slice(2).map(Number),
    [base, other].map((f) => bytes(f) - bytes(built('bump-wasi.wasm'))), 'as run.js counts them');
  assert.doesNotMatch(run.stdout, /^programs total /m, 'no program trace was asked for');
  assert.doesNotMatch(run.stdout, /^cold/m, 'cold passes only with --cold');
});

test('compare runs several processes and cold passes when asked', () => {
  const base = built('tagalloc-wasi.wasm');
  const run = compare('--rounds', '1', '--processes', '2', '--cold', '--traces', 'short2', base,
    built('tagalloc-small-wasi.wasm'));
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^2 processes, 1 rounds a trace/);
  assert.match(run.stderr, /process 2\/2/);
  const lines = linesFor(run.stdout, 'short2-bal');
  assert.equal(lines.length, 2, `a warm and a cold line:\n${run.stdout}`);
  assert.deepEqual(lines[0].slice(4), lines[1].slice(4), 'the heap ends do not depend on timing');
});

test('compare refuses what it cannot compare, saying why', () => {
  const base = built('tagalloc-wasi.wasm');
  const cases = [
    [[base], /at least two modules/],
    [['--rounds', '0', base, base], /--rounds takes a whole number/],
    [['--traces', 'no-such-trace', base, base], /No trace named no-such-trace/],
    [['--colder', base, base], /Unknown option --colder/],
    [[base, 'build/bench/none.wasm'], /none\.wasm: no such file/],
  ];
  for (const [args, message] of cases) {
    const run = compare(...args);
    assert.equal(run.status, 2, `${args.join(' ')}: exit ${run.status}`);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
  const faulty = compare('--rounds', '1', '--traces', 'short1', base, built('faulty/overlap.wasm'));
  assert.notEqual(faulty.status, 0, 'a module that fails the checking pass is not timed');
  assert.match(faulty.stderr, /overlap\.wasm on short1-bal: a payload overlaps/);
});

test('build.sh variant with no flags builds the bench module of the drop-in, byte for byte', () => {
  const run = spawnSync('bash', ['build.sh', 'variant'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, VARIANT: 'test-unchanged' },
  });
  assert.equal(run.status, 0, run.stderr);
  const variant = path.join(root, 'build', 'variants', 'test-unchanged.wasm');
  const dropIn = path.join(root, built('tagalloc-wasi.wasm'));
  assert.ok(fs.readFileSync(variant).equals(fs.readFileSync(dropIn)),
    'build_variant compiles or links the drop-in differently from build_wasi and build_bench');
  assert.match(run.stdout, /^\s*\d+ bytes {2}build\/variants\/test-unchanged\.wasm \(code bytes/m);
  const named = spawnSync('bash', ['build.sh', 'variant'], {
    cwd: root, encoding: 'utf8', env: { ...process.env, VARIANT: '' },
  });
  assert.notEqual(named.status, 0, 'a variant needs a name');
});

test('instructions counts one module alike twice, within 0.5%', () => {
  const base = built('tagalloc-wasi.wasm');
  const run = spawnSync(process.execPath, ['bench/instructions.js', '--traces', 'short1',
    '--ops', '100000', base, base], { cwd: root, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const [line] = linesFor(run.stdout, 'short1-bal');
  assert.ok(line, `no line for short1-bal:\n${run.stdout}`);
  const [first, second] = line.slice(1, 3).map(Number);
  assert.ok(first > 20, `a replayed op runs more than 20 instructions: ${line.join(' ')}`);
  assert.ok(Math.abs(second - first) <= first * 0.005, `counted twice: ${line.join(' ')}`);
});
