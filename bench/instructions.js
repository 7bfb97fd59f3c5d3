// Counts what a warm pass costs instead of timing it: the x86 instructions that V8's optimised
// code for each module executes a trace op, under valgrind's callgrind. The count is the same
// within 0.1% in every run at the default --ops (V8 with one thread, fixed seeds and
// --predictable), where a timed ratio moves by 3% to 20% between processes, so a change of 1%
// shows. It sees instructions only: no cache miss, no mispredicted branch, no page fault, so it
// decides between two builds whose heaps are laid out alike (the same blocks in the same
// places), not between allocators: on jq, gcc and python3 tagalloc runs as fast as dlmalloc or
// faster with 6% to 26% more instructions (bench/README.md, twelfth round).
//   node bench/instructions.js [--traces WHICH] [--ops N] BASE.wasm OTHER.wasm...
// --traces  malloclab, programs (default: both), or trace names separated by commas
// --ops     about this many ops counted a trace and module (default 3,000,000)
// Prints, a trace a line, each module's instructions an op and BASE's count divided by its own
// (above 1: fewer than BASE), then each set's geometric mean of those ratios. Each figure is the
// difference of two runs, 3 passes and 3 + P passes, over P passes: the checking pass, V8's
// compilation and node's start cancel out. Needs valgrind; runs one child a core.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { check, instantiate } from './replay.js';
import { SETS, parseTrace, selectTraces } from './trace.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCRIPT = fileURLToPath(import.meta.url);
const BASE_PASSES = 3;
const V8_FLAGS = ['--no-liftoff', '--single-threaded', '--no-opt', '--predictable',
  '--random-seed=1', '--hash-seed=1'];

/** The child, under valgrind: the checking pass, then `passes` warm passes. */
function child(wasm, file, passes) {
  const trace = parseTrace(fs.readFileSync(file, 'utf8'), file);
  const exports = instantiate(new WebAssembly.Module(fs.readFileSync(wasm)), { wasm });
  const { failure } = check(exports, trace);
  if (failure) throw new Error(`${wasm} on ${trace.name}: ${failure}`);
  exports.replay_release();
  for (let i = 0; i < passes; i++) {
    exports.replay_run();
    exports.replay_release();
  }
}

/** Instructions the whole process executed, from callgrind's output file. */
function counted(wasm, file, passes) {
  const out = path.join(os.tmpdir(), `tagalloc-instructions-${process.pid}-${Math.random()}`);
  const argv = ['--tool=callgrind', `--callgrind-out-file=${out}`, process.execPath, ...V8_FLAGS,
    SCRIPT, '--child', wasm, file, String(passes)];
  return new Promise((resolve, reject) => {
    execFile('valgrind', argv, { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      fs.rmSync(out, { force: true });
      const total = /^(?:summary|totals): (\d+)/m.exec(text);
      if (total && !error) resolve(Number(total[1]));
      else if (error?.code === 'ENOENT') reject(new Error('No valgrind: apt-get install valgrind.'));
      else reject(new Error(`valgrind on ${wasm}, ${file}: ${error?.message}\n${stderr}`));
    });
  });
}

/** Runs the jobs, `width` at a time, and returns their results in order. */
async function inParallel(jobs, width) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return results;
}

function parseArgs(argv) {
  const args = { traces: null, ops: 3e6, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--traces') args.traces = argv[++i];
    else if (a === '--ops') args.ops = Number(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`Unknown option ${a}; see bench/instructions.js.`);
    else args.files.push(a);
  }
  if (!(args.ops >= 1)) throw new Error('--ops takes a number above 0.');
  if (args.files.length < 2) throw new Error('Give at least two modules: the base, then others.');
  for (const f of args.files) if (!fs.existsSync(f)) throw new Error(`${f}: no such file.`);
  return args;
}

async function main(argv) {
  const args = parseArgs(argv);
  const traces = selectTraces(path.join(ROOT, 'traces'), args.traces);
  const jobs = traces.flatMap((trace) => {
    const passes = Math.max(6, Math.ceil(args.ops / trace.count));
    return args.files.map((wasm) => async () => {
      const [before, after] = [await counted(wasm, trace.file, BASE_PASSES),
        await counted(wasm, trace.file, BASE_PASSES + passes)];
      return (after - before) / passes / trace.count;
    });
  });
  const perOp = await inParallel(jobs, os.availableParallelism());
  const names = args.files.map((f) => path.basename(f, '.wasm'));
  const width = Math.max(...names.map((n) => n.length), 10);
  console.log(['trace'.padEnd(16), ...names.map((n) => n.padStart(width))].join(' '),
    '  instructions an op; BASE / module');
  const ratios = names.map(() => ({ malloclab: [], programs: [] }));
  traces.forEach((trace, t) => {
    const row = perOp.slice(t * names.length, (t + 1) * names.length);
    row.forEach((n, m) => ratios[m][trace.set].push(row[0] / n));
    console.log([trace.name.padEnd(16), ...row.map((n) => n.toFixed(1).padStart(width))].join(' '),
      '  ', row.slice(1).map((n) => (row[0] / n).toFixed(3)).join(' '));
  });
  for (const set of SETS) {
    const means = ratios.map((r) => r[set].length
      ? Math.exp(r[set].reduce((sum, x) => sum + Math.log(x), 0) / r[set].length) : NaN);
    if (means.every(Number.isNaN)) continue;
    console.log([`${set} (geomean)`.padEnd(16),
      ...means.map((x) => x.toFixed(3).padStart(width))].join(' '));
  }
}

if (process.argv[2] === '--child') child(process.argv[3], process.argv[4], Number(process.argv[5]));
else main(process.argv.slice(2)).catch((error) => {
  console.error(error.message);
  process.exit(1);
});
