// The benchmark harness (bench/): quick mode over every allocator and trace, and the checking
// pass against bump allocators that are wrong on purpose. Assumes `bash build.sh` ran (it builds
// build/bench/). Times nothing: quick mode only checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTrace, tracePrefix } from '../bench/trace.js';
import { check, instantiate, mergeProcesses } from '../bench/replay.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const built = (file) => path.join(root, 'build', 'bench', file);

let report = null;
/** One quick run, shared by the tests that read it (about 30 s on 2 cores). */
function quickReport() {
  if (report) return report;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tagalloc-bench-')), 'quick.json');
  const run = spawnSync(process.execPath, ['bench/run.js', '--quick', '--out', out],
    { cwd: root, encoding: 'utf8' });
  assert.ok(fs.existsSync(out), `bench/run.js --quick wrote no report:\n${run.stderr}`);
  report = JSON.parse(fs.readFileSync(out, 'utf8'));
  return report;
}

/** A small trace from its op lines; the header is worked out. */
function trace(lines) {
  const ops = lines.trim().split('\n');
  const ids = 1 + Math.max(...ops.map((l) => Number(l.split(' ')[1])));
  return parseTrace(`0\n${ids}\n${ops.length}\n1\n${ops.join('\n')}\n`, 'inline.rep');
}

function checkWith(file, t) {
  const module = new WebAssembly.Module(fs.readFileSync(built(file)));
  return check(instantiate(module, { name: file, wasm: file }), t);
}

test('quick mode replays every trace against every allocator and each passes the checking pass', () => {
  const { allocators, traces } = quickReport();
  assert.ok(traces.length >= 11 + 8, `only ${traces.length} traces were found`);
  for (const a of allocators) {
    const failures = Object.entries(a.perTrace)
      .filter(([, p]) => p.failure).map(([name, p]) => `${name}: ${p.failure}`);
    assert.equal(a.status, 'ok', `${a.name}: ${a.failure ?? failures.join('; ')}`);
    assert.deepEqual(Object.keys(a.perTrace), traces.map((t) => t.name), a.name);
  }
});

test('the malloc-lab and program traces are two sets, each with its own averages', () => {
  const { sets, traces, allocators } = quickReport();
  assert.deepEqual(sets.map((s) => s.name), ['malloclab', 'programs']);
  for (const set of sets) {
    assert.deepEqual(set.traces, traces.filter((t) => t.set === set.name).map((t) => t.name));
  }
  assert.ok(sets[0].traces.length >= 13, 'the malloc-lab set has its thirteen traces');
  assert.ok(sets[1].traces.length >= 8, `the programs set has ${sets[1].traces.length} traces`);
  const dlmalloc = allocators.find((a) => a.name === 'wasi-libc dlmalloc');
  for (const set of ['malloclab', 'programs']) {
    assert.equal(dlmalloc.averages[set].utilRatio, 1, set);
  }
});

test('in quick mode the list-walking policies check a prefix of a long trace, others all of it', () => {
  const { allocators, traces, settings } = quickReport();
  const long = traces.filter((t) => t.ops > settings.walkingTimedMaxOps);
  assert.ok(long.length >= 8, 'the program traces are longer than walking policies are timed on');
  for (const a of allocators) {
    const walks = /(first|next|best)-fit/.test(a.name);
    for (const t of long) {
      const p = a.perTrace[t.name];
      const expected = walks ? settings.walkingQuickOps : undefined;
      assert.equal(p.opsChecked, expected, `${a.name} on ${t.name}`);
    }
    assert.equal(a.averages.programs === undefined, walks, `${a.name} has a programs average`);
  }
});

test('utilisation is above 0 and at most 1 for every allocator and trace', () => {
  for (const a of quickReport().allocators) {
    for (const [name, p] of Object.entries(a.perTrace)) {
      if (p.failure) continue; // the test above names it
      for (const measure of ['utilHeap', 'utilPages']) {
        const u = p[measure];
        assert.ok(u > 0 && u <= 1, `${a.name} on ${name}: ${measure} is ${u}`);
      }
    }
  }
});

test('the comparison holds every tagalloc policy and coalescing mode and the three peers', () => {
  const names = quickReport().allocators.map((a) => a.name);
  for (const policy of ['first-fit', 'next-fit', 'best-fit', 'segregated']) {
    for (const mode of ['immediate', 'deferred']) assert.ok(names.includes(`tagalloc ${policy} ${mode}`));
  }
  for (const peer of ['wasi-libc dlmalloc', 'emscripten dlmalloc', 'emscripten emmalloc', 'bump']) {
    assert.ok(names.includes(peer), peer);
  }
});

test('every allocator but the bump has a positive code size after the bump build is subtracted', () => {
  for (const a of quickReport().allocators) {
    if (a.name === 'bump') assert.equal(a.codeBytes, 0);
    else assert.ok(a.codeBytes > 0, `${a.name}: ${a.codeBytes} bytes`);
  }
});

// The drop-ins' sizes are promises the README and docs/embedding.md make (issue 11's budgets):
// a change that crosses one has to say so here.
const DROPIN_BYTES_MAX = { tagalloc: 4096, 'tagalloc emscripten': 4096,
  'tagalloc small': 2048, 'tagalloc small emscripten': 2048 };

for (const [name, max] of Object.entries(DROPIN_BYTES_MAX)) {
  test(`the drop-in "${name}" adds at most ${max} bytes to a module`, () => {
    const a = quickReport().allocators.find((x) => x.name === name);
    assert.ok(a, `${name} is in the report`);
    assert.ok(a.codeBytes <= max, `${name}: ${a.codeBytes} bytes`);
  });
}

const twoBlocks = trace('a 0 64\na 1 64\nf 0\nf 1');
const sixteenByteBlocks = trace('a 0 16\na 1 16\na 2 16\nf 0\nf 1\nf 2');

test('the plain bump passes the small traces the faulty bumps fail', () => {
  assert.equal(checkWith('bump-wasi.wasm', twoBlocks).failure, null);
  assert.equal(checkWith('bump-wasi.wasm', sixteenByteBlocks).failure, null);
});

test('the checking pass reports a payload that overlaps a live one', () => {
  assert.match(checkWith('faulty/overlap.wasm', twoBlocks).failure, /overlaps another live payload \(op 2\)/);
});

test('the checking pass reports a payload that is not aligned', () => {
  assert.match(checkWith('faulty/misaligned.wasm', twoBlocks).failure, /not aligned .* \(op 1\)/);
});

test('the checking pass reports a write over the end of a live payload', () => {
  // The third malloc writes its tag over the second payload's last 4 bytes; free 1 sees it.
  assert.match(checkWith('faulty/scribble.wasm', sixteenByteBlocks).failure,
    /bytes of a live payload changed .* \(op 4\)/);
});

test('the trace reader refuses to free an id that is not live', () => {
  assert.throws(() => trace('a 0 8\nf 1'), /frees id 1, not live/);
  assert.throws(() => trace('a 0 8\na 0 8'), /allocates id 0, still live/);
});

test('a prefix of a trace replays its first ops and counts its own peak live bytes', () => {
  const whole = trace('a 0 64\nf 0\na 1 16\na 2 32\nr 1 100\nf 1\nf 2');
  assert.equal(whole.peakLive, 132);
  const prefix = tracePrefix(whole, 4);
  assert.equal(prefix.count, 4);
  assert.equal(prefix.peakLive, 64);
  assert.deepEqual([...prefix.ops], [...whole.ops.subarray(0, 8)]);
  assert.equal(checkWith('dlmalloc-wasi.wasm', prefix).failure, null);
  assert.equal(tracePrefix(whole, 7), whole);
});

test('several processes merge into one result: each time the median of the processes\'', () => {
  const timed = (warmMs, coldMs) => ({ failure: null, utilHeap: 0.5, warmMs, coldMs,
    warmPasses: 10, warmOpsPerSec: 1000 / (warmMs / 1000), coldOpsPerSec: 1000 / (coldMs / 1000) });
  const run = (a, b, c) => [
    { name: 'one', status: 'ok',
      perTrace: { t: timed(a, 2 * a), u: { failure: null, utilHeap: 1 } } },
    { name: 'two', status: 'ok', perTrace: { t: c ?? timed(b, b) } },
  ];
  const merged = mergeProcesses([run(3, 1), run(1, 5), run(2, 3, { failure: 'trapped' })]);
  const t = merged[0].perTrace.t;
  assert.deepEqual([t.warmMs, t.coldMs, t.warmPasses, t.utilHeap], [2, 4, 30, 0.5]);
  assert.equal(Math.round(t.warmOpsPerSec), 500000, 'ops a second follow the merged time');
  assert.equal(Math.round(t.coldOpsPerSec), 250000);
  assert.deepEqual(merged[0].perTrace.u, { failure: null, utilHeap: 1 }, 'untimed: as checked');
  assert.equal(merged[1].perTrace.t.failure, 'trapped', 'a failure in one process is a failure');
  assert.equal(merged[1].status, 'failed');
});
