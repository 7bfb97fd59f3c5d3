// The threads benchmark: bench/threads.c on tagalloc's -mt drop-in against Emscripten's dlmalloc
// and emmalloc, all built with -pthread, at 1, 2 and 4 threads, in the same run; and each of the
// three built without -pthread, one thread, for what the lock costs a single-threaded program.
//   node bench/threads.js [--quick]
// --quick   one round of short passes, nothing written (a smoke test)
// Writes bench/results/threads.json and threads.md. Programs: build/bench/threads (bash build.sh
// bench_threads). Each round runs every program once, in turn, so that load from elsewhere on
// the machine falls on all of them alike; a figure is the median over rounds of a round's best
// pass after its first (the first pass also pays V8's compilation and the heap's first growth).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build', 'bench', 'threads');
const RESULTS = path.join(ROOT, 'bench', 'results');
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 5;
const PASSES = quick ? 2 : 4; // in each process: the first is dropped
const OPS = quick ? 100000 : 500000; // per thread and pass
const THREADS = [1, 2, 4];
const BASELINE = 'dlmalloc';

const ALLOCATORS = [
  { name: 'tagalloc', note: 'build/emscripten-mt/libtagalloc.a, -sMALLOC=none' },
  { name: 'dlmalloc', note: '-sMALLOC=dlmalloc (Emscripten\'s default)' },
  { name: 'emmalloc', note: '-sMALLOC=emmalloc' },
];
// Every program of a round: the -pthread builds at each thread count, the others at one thread.
const RUNS = [
  ...ALLOCATORS.flatMap(({ name }) => THREADS.map((threads) => ({
    name, pthread: true, threads, program: `${name}-mt.cjs`,
  }))),
  ...ALLOCATORS.map(({ name }) => ({ name, pthread: false, threads: 1, program: `${name}.cjs` })),
  { name: 'tagalloc -O2', pthread: false, threads: 1, program: 'tagalloc-O2.cjs' },
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** One process: the best pass after the first, in operations a second. */
function measure({ program, threads }) {
  const file = path.join(BUILD, program);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run bash build.sh bench_threads`);
  // --no-liftoff: every function optimised before it runs, so passes time the same machine code
  const result = spawnSync(process.execPath, ['--no-liftoff', '--no-experimental-fetch', file,
    String(threads), String(OPS), String(PASSES)], { encoding: 'utf8', timeout: 300000 });
  if (result.status !== 0) {
    throw new Error(`${program} ${threads}: exit ${result.status}\n${result.stdout}${result.stderr}`);
  }
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  const passes = lines.filter((line) => 'ms' in line).slice(1);
  const sum = lines.find((line) => 'sum' in line).sum;
  return { opsPerSecond: Math.max(...passes.map(({ ops, ms }) => ops / ms * 1000)), sum };
}

const samples = new Map(RUNS.map((run) => [run, []]));
const sums = new Map(); // threads -> the checksum every allocator must agree on
const started = Date.now();
for (let round = 0; round < ROUNDS; round++) {
  for (const run of RUNS) {
    const { opsPerSecond, sum } = measure(run);
    if (sums.has(run.threads) && sums.get(run.threads) !== sum) {
      throw new Error(`${run.program} at ${run.threads} threads read back other bytes than the rest`);
    }
    sums.set(run.threads, sum);
    samples.get(run).push(opsPerSecond);
  }
  console.error(`threads: round ${round + 1} of ${ROUNDS} done, ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const rows = RUNS.map((run) => ({
  allocator: run.name, pthread: run.pthread, threads: run.threads,
  mopsPerSecond: median(samples.get(run)) / 1e6,
  samples: samples.get(run).map((value) => Number((value / 1e6).toFixed(3))),
}));
const find = (name, pthread, threads) => rows.find((row) =>
  row.allocator === name && row.pthread === pthread && row.threads === threads);

const fixed = (value) => value.toFixed(2);
const lines = [];
const cpus = os.cpus();
const machine = `${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${os.type()}, Node ${process.version}`;
lines.push(`# Threads: operations per second on one shared heap`, '');
lines.push(`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${machine}. ` +
  `bench/threads.c: each thread (the main one among them) does ${OPS.toLocaleString('en')} ` +
  'malloc, free and realloc calls a pass on its own 1,024 slots of 1 to 512 bytes, all threads ' +
  `at once on one heap. Median over ${ROUNDS} rounds of each round's best pass; × is the ratio ` +
  `to ${BASELINE} at the same thread count, above 1 better. Built with emcc 3.1.6 -O2, run with ` +
  'node --no-liftoff. More threads than cores share the cores.', '');
lines.push('| allocator (-pthread) | ' + THREADS.map((n) => `${n} thread${n > 1 ? 's' : ''} Mops/s | ×`).join(' | ') + ' |');
lines.push('| --- | ' + THREADS.map(() => '---: | ---:').join(' | ') + ' |');
for (const { name } of ALLOCATORS) {
  lines.push(`| ${name} | ` + THREADS.map((threads) => {
    const row = find(name, true, threads);
    return `${fixed(row.mopsPerSecond)} | ${fixed(row.mopsPerSecond / find(BASELINE, true, threads).mopsPerSecond)}×`;
  }).join(' | ') + ' |');
}
lines.push('', 'What -pthread costs a program that runs one thread: the same driver built without ' +
  '-pthread (for tagalloc, build/emscripten/libtagalloc.a, built -Os) against the -pthread build ' +
  'at one thread (build/emscripten-mt/libtagalloc.a is built -O2). "tagalloc, the lock alone" ' +
  'compares the -mt library with the same core and flags built without -pthread and without ' +
  'src/lock.c: that difference is the lock, a compare-exchange to take it and an exchange to ' +
  'give it back on each call.', '');
lines.push('| allocator | without -pthread Mops/s | -pthread, 1 thread Mops/s | cost per call |');
lines.push('| --- | ---: | ---: | ---: |');
const lockCost = {};
const costRow = (label, single, locked) => {
  const nanoseconds = 1e3 / locked - 1e3 / single;
  lockCost[label] = { singleThreaded: single, pthreadOneThread: locked, nanosecondsPerCall: nanoseconds };
  const percent = (single / locked - 1) * 100;
  lines.push(`| ${label} | ${fixed(single)} | ${fixed(locked)} | ${nanoseconds.toFixed(1)} ns ` +
    `(${percent >= 0 ? '+' : ''}${percent.toFixed(0)}% time) |`);
};
for (const { name } of ALLOCATORS) {
  costRow(name, find(name, false, 1).mopsPerSecond, find(name, true, 1).mopsPerSecond);
}
costRow('tagalloc, the lock alone', find('tagalloc -O2', false, 1).mopsPerSecond,
  find('tagalloc', true, 1).mopsPerSecond);
lines.push('');
for (const { name, note } of ALLOCATORS) lines.push(`- ${name}: ${note}`);
const markdown = lines.join('\n') + '\n';
process.stdout.write(markdown);

if (!quick) {
  fs.mkdirSync(RESULTS, { recursive: true });
  const json = {
    date: new Date().toISOString(), machine, opsPerThreadAndPass: OPS, passes: PASSES,
    rounds: ROUNDS, baseline: BASELINE, rows, lockCost,
  };
  fs.writeFileSync(path.join(RESULTS, 'threads.json'), JSON.stringify(json, null, 2) + '\n');
  fs.writeFileSync(path.join(RESULTS, 'threads.md'), markdown);
  console.error('threads: wrote bench/results/threads.json and threads.md');
}
