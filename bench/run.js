// Replays allocation traces against tagalloc and its peers, set by set; see bench/README.md.
//   node bench/run.js [--quick] [--out FILE] [--only WORD] [--processes N] [DIR ...]
// --quick    one checking pass per allocator and trace, no timing, nothing written but --out
// --out      where the JSON goes (default bench/results/latest.json in a full run); with it,
//            bench/results/ is left alone (the tables go to stdout only)
// --only     just the allocators whose name contains WORD (repeatable), and the baseline
// --processes  the timed rounds in N processes, one after another (default 3); a trace's time
//            is the median of the processes' medians, which halves the spread between runs
//            (bench/README.md, tenth round)
// DIR        more directories of .rep traces, each a set of its own after malloclab and programs
import v8 from 'node:v8';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { readTraces, tracePrefix } from './trace.js';
import {
  WARM_ROUND, check, inProcesses, instantiate, median, mergeProcesses, timeRound,
} from './replay.js';
import { chartSvg, markdownTables } from './report.js';

// Set before any module compiles: node:wasi can crash after memory.grow with fast API calls on,
// and without Liftoff every function is optimised up front, so warm and cold passes run the same
// machine code instead of racing the tier-up.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
v8.setFlagsFromString('--no-liftoff');
v8.setFlagsFromString('--expose-gc');
// A cold pass starts with a collection: the instances earlier passes left behind hold megabytes of
// wasm memory each, and freeing them inside a timed pass charged it to whichever allocator ran.
const collectGarbage = vm.runInNewContext('gc');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build', 'bench');
const RESULTS = path.join(ROOT, 'bench', 'results');
/** The repository's trace sets (traces/README.md), each averaged and reported on its own. */
const SETS = [
  { name: 'malloclab', title: 'the malloc-lab traces', dir: path.join(ROOT, 'traces/malloclab') },
  { name: 'programs', title: 'traces of real programs', dir: path.join(ROOT, 'traces/programs') },
];
const BASELINE = 'wasi-libc dlmalloc';
const AVERAGED_MIN_OPS = 100; // smaller traces (short1, short2) are for debugging: listed, not averaged
const ROUNDS = 11; // each round times every allocator once more: load drifts hit all alike
// First, next and best fit walk the free list: one pass over the gcc, jq, perl or python3 trace
// (traces/programs) takes them 1 to 30 s, where the other allocators take under 50 ms. On a
// trace longer than this they run the checking pass (utilisation) and are not timed,
const WALKING_TIMED_MAX_OPS = 100000;
// and quick mode checks them on this many of its first ops, which keeps it under a minute.
const WALKING_QUICK_OPS = 50000;


const POLICIES = ['first-fit', 'next-fit', 'best-fit', 'segregated'];
const COALESCING = ['immediate', 'deferred'];

/** Every allocator the benchmark compares: its module in build/bench and the bump build whose
 * bytes it subtracts (same toolchain, same driver). */
const ALLOCATORS = [
  {
    name: 'tagalloc', wasm: 'tagalloc-wasi.wasm', bump: 'bump-wasi.wasm',
    note: 'wasi drop-in (build/wasi/libtagalloc.a): segregated fit, immediate coalescing',
  },
  ...POLICIES.flatMap((policyName, policy) => COALESCING.map((mode, coalescing) => ({
    name: `tagalloc ${policyName} ${mode}`, wasm: 'tagalloc-policies-wasi.wasm',
    bump: 'bump-wasi.wasm', policy, coalescing, walksFreeList: policyName !== 'segregated',
    note: 'wasi, every policy compiled in (TAGALLOC_ALL_POLICIES=1), chosen at run time',
  }))),
  {
    name: 'tagalloc emscripten', wasm: 'tagalloc-emscripten.wasm', bump: 'bump-emscripten.wasm',
    note: 'emcc -sMALLOC=none build/emscripten/libtagalloc.a: the emscripten drop-in',
  },
  {
    name: 'tagalloc small', wasm: 'tagalloc-small-wasi.wasm', bump: 'bump-wasi.wasm',
    note: 'wasi size-first drop-in (build/wasi/libtagalloc-small.a): -Oz, no fast paths',
  },
  {
    name: 'tagalloc small emscripten', wasm: 'tagalloc-small-emscripten.wasm',
    bump: 'bump-emscripten.wasm',
    note: 'emcc -sMALLOC=none build/emscripten/libtagalloc-small.a: -Oz, no fast paths',
  },
  {
    name: BASELINE, wasm: 'dlmalloc-wasi.wasm', bump: 'bump-wasi.wasm',
    note: 'clang --target=wasm32-wasi, libc\'s own malloc',
  },
  {
    name: 'emscripten dlmalloc', wasm: 'dlmalloc-emscripten.wasm', bump: 'bump-emscripten.wasm',
    note: 'emcc -sMALLOC=dlmalloc',
  },
  {
    name: 'emscripten emmalloc', wasm: 'emmalloc-emscripten.wasm', bump: 'bump-emscripten.wasm',
    note: 'emcc -sMALLOC=emmalloc',
  },
  {
    name: 'bump', wasm: 'bump-wasi.wasm', bump: 'bump-wasi.wasm', untimed: true,
    note: 'the driver alone: malloc bumps a pointer, free does nothing (checked, not timed)',
  },
];

function parseArgs(argv) {
  const args = { quick: false, out: null, only: [], dirs: [], processes: 3, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--only') args.only.push(argv[++i]);
    else if (a === '--processes') args.processes = Number(argv[++i]);
    else if (a === '--json') args.json = true; // one process's results, for the parent
    else if (a.startsWith('--')) throw new Error(`Unknown option ${a}; see the top of bench/run.js.`);
    else args.dirs.push(a);
  }
  if (!(Number.isInteger(args.processes) && args.processes >= 1)) {
    throw new Error('--processes takes a whole number, 1 or more.');
  }
  return args;
}

/** The sets and their traces; a trace outside malloclab is named `set/trace`. */
function loadSets(extraDirs) {
  const known = new Set(SETS.map((set) => path.resolve(set.dir)));
  const sets = [...SETS, ...extraDirs.filter((dir) => !known.has(path.resolve(dir))).map((dir) => {
    const name = path.basename(path.resolve(dir));
    return { name, title: `the traces in ${name}/`, dir };
  })];
  const names = new Set();
  for (const set of sets) {
    if (names.has(set.name)) {
      throw new Error(`Two trace sets are named ${set.name}; rename a directory.`);
    }
    names.add(set.name);
    set.traces = readTraces(set.dir);
    for (const t of set.traces) {
      if (set.name !== 'malloclab') t.name = `${set.name}/${t.name}`;
      t.set = set.name;
      t.averaged = t.count >= AVERAGED_MIN_OPS;
    }
  }
  return sets;
}

/** One line rewritten in place on a terminal; elsewhere a line a trace. */
function progress(text, newTrace) {
  if (process.stderr.isTTY) process.stderr.write(`\r${text.slice(0, 100).padEnd(100)}`);
  else if (newTrace) process.stderr.write(`${text}\n`);
}

/** Runs fn; a trap in the module becomes a failure instead of ending the run. */
function guarded(fn) {
  try {
    return fn();
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    return { failure: `the module trapped: ${error.message}` };
  }
}

/** The allocator's module compiled once, and its result so far; no module when not built. */
function prepare(allocator) {
  const file = path.join(BUILD, allocator.wasm);
  const result = { name: allocator.name, note: allocator.note, wasm: allocator.wasm, perTrace: {} };
  if (!fs.existsSync(file)) {
    result.status = 'missing';
    result.failure = `build/bench/${allocator.wasm} is not built (bash build.sh bench)`;
    return { allocator, result, module: null };
  }
  result.status = 'ok';
  result.wasmBytes = fs.statSync(file).size;
  result.codeBytes = result.wasmBytes - fs.statSync(path.join(BUILD, allocator.bump)).size;
  return { allocator, result, module: new WebAssembly.Module(fs.readFileSync(file)) };
}

/**
 * One trace against every allocator: the checking pass on a fresh instance each; then ROUNDS
 * rounds, each giving every allocator (in a rotating order) a few warm passes in its checked
 * instance and one cold pass on a fresh one. Medians over all rounds.
 */
function runTrace(entries, trace, quick, step) {
  const long = trace.count > WALKING_TIMED_MAX_OPS;
  const timed = [];
  for (const e of entries) {
    if (!e.module) continue;
    step(`${trace.name}  check  ${e.allocator.name}`);
    const walking = long && e.allocator.walksFreeList;
    const checked = walking && quick ? tracePrefix(trace, WALKING_QUICK_OPS) : trace;
    let exports = null;
    const r = guarded(() => {
      exports = instantiate(e.module, e.allocator);
      return check(exports, checked);
    });
    if (checked !== trace) r.opsChecked = checked.count;
    e.result.perTrace[trace.name] = r;
    if (!r.failure && !quick && !e.allocator.untimed && !walking) {
      exports.replay_release();
      timed.push({ e, r, exports, warm: [], cold: [] });
    }
  }
  for (let round = 0; round < (quick ? 0 : ROUNDS); round++) {
    for (let k = 0; k < timed.length; k++) {
      const t = timed[(k + round) % timed.length];
      if (t.r.failure) continue;
      step(`${trace.name}  round ${round + 1}/${ROUNDS}  ${t.e.allocator.name}`);
      const outcome = guarded(() => timeRound(t.exports,
        { module: t.e.module, allocator: t.e.allocator, trace, collect: collectGarbage }));
      if (outcome.failure) {
        t.r.failure = outcome.failure;
      } else {
        t.warm.push(...outcome.warm);
        t.cold.push(outcome.cold);
      }
    }
  }
  for (const t of timed) {
    if (t.r.failure) continue;
    t.r.warmMs = median(t.warm);
    t.r.coldMs = median(t.cold);
    t.r.warmPasses = t.warm.length;
    t.r.warmOpsPerSec = trace.count / (t.r.warmMs / 1000);
    t.r.coldOpsPerSec = trace.count / (t.r.coldMs / 1000);
  }
  for (const e of entries) if (e.result.perTrace[trace.name]?.failure) e.result.status = 'failed';
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Averages over a set's averaged traces, and ratios to the baseline, trace by trace and over
 * each set (`averages[set]`). */
function summarise(results, sets) {
  for (const r of results) {
    r.averages = {};
    if (r.status === 'missing') continue;
    for (const set of sets) {
      const average = averageOver(r, set.traces.filter((t) => t.averaged));
      if (average) r.averages[set.name] = average;
    }
  }
  const base = results.find((r) => r.name === BASELINE);
  for (const r of results) {
    if (!base || r.status === 'missing' || base.status === 'missing') continue;
    for (const [name, p] of Object.entries(r.perTrace)) {
      const b = base.perTrace[name];
      if (!b || p.failure || b.failure || p.opsChecked !== undefined) continue;
      p.utilRatio = p.utilHeap / b.utilHeap;
      if (p.warmOpsPerSec && b.warmOpsPerSec) {
        p.warmRatio = p.warmOpsPerSec / b.warmOpsPerSec;
        p.coldRatio = p.coldOpsPerSec / b.coldOpsPerSec;
      }
    }
    for (const [set, v] of Object.entries(r.averages)) {
      const b = base.averages[set];
      if (!b) continue;
      v.utilRatio = v.utilHeap / b.utilHeap;
      if (v.warmOpsPerSec && b.warmOpsPerSec) {
        v.warmRatio = v.warmOpsPerSec / b.warmOpsPerSec;
        v.coldRatio = v.coldOpsPerSec / b.coldOpsPerSec;
      }
    }
  }
}

/** One allocator's averages over some traces; null when one of them failed, is missing, or was
 * checked on a prefix only (quick mode), whose utilisation is not the trace's. */
function averageOver(r, averaged) {
  const rows = averaged.map((t) => r.perTrace[t.name])
    .filter((p) => p && !p.failure && p.opsChecked === undefined);
  if (rows.length === 0 || rows.length !== averaged.length) return null;
  const average = {
    utilHeap: mean(rows.map((p) => p.utilHeap)),
    utilPages: mean(rows.map((p) => p.utilPages)),
  };
  if (rows.every((p) => p.warmMs !== undefined)) { // ops / time over all traces, as mdriver does
    const ops = averaged.reduce((n, t) => n + t.count, 0);
    average.warmOpsPerSec = ops / (rows.reduce((s, p) => s + p.warmMs, 0) / 1000);
    average.coldOpsPerSec = ops / (rows.reduce((s, p) => s + p.coldMs, 0) / 1000);
  }
  return average;
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const sets = loadSets(args.dirs);
  const traces = sets.flatMap((set) => set.traces);
  const allocators = ALLOCATORS.filter((a) => a.name === BASELINE || // every ratio needs it
    args.only.length === 0 || args.only.some((w) => a.name.includes(w)));
  const started = performance.now();
  let traceIndex = 0;
  let lastTrace = null;
  const step = (what) => {
    const s = ((performance.now() - started) / 1000).toFixed(0);
    const text = `[trace ${traceIndex}/${traces.length}] ${s} s  ${what}`;
    progress(text, lastTrace !== traceIndex);
    lastTrace = traceIndex;
  };
  let results;
  if (args.processes > 1 && !args.quick && !args.json) {
    const argv = [...args.only.flatMap((word) => ['--only', word]), ...args.dirs];
    results = mergeProcesses(inProcesses(fileURLToPath(import.meta.url), argv, args.processes,
      (k) => progress(`process ${k + 1} of ${args.processes}`, true)));
  } else {
    const entries = allocators.map(prepare);
    for (const trace of traces) {
      traceIndex++;
      runTrace(entries, trace, args.quick, step);
    }
    results = entries.map((e) => e.result);
    if (process.stderr.isTTY) process.stderr.write('\n');
  }
  if (args.json) return process.stdout.write(JSON.stringify(results));
  summarise(results, sets);

  const report = {
    date: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    node: process.version,
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.platform()}`,
    baseline: BASELINE,
    seconds: Math.round((performance.now() - started) / 1000),
    settings: {
      processes: args.quick ? 1 : args.processes,
      averagedMinOps: AVERAGED_MIN_OPS, rounds: ROUNDS, warmPassesPerRound: WARM_ROUND,
      walkingTimedMaxOps: WALKING_TIMED_MAX_OPS, walkingQuickOps: WALKING_QUICK_OPS,
    },
    sets: sets.map(({ name, title, dir, traces: inSet }) =>
      ({ name, title, dir: path.relative(ROOT, dir) || '.', traces: inSet.map((t) => t.name) })),
    traces: traces.map(({ name, set, file, ids, count, peakLive, averaged }) =>
      ({ name, set, file: path.relative(ROOT, file), ids, ops: count, peakLive, averaged })),
    allocators: results,
  };
  const out = args.out ?? (args.quick ? null : path.join(RESULTS, 'latest.json'));
  if (!args.quick) fs.mkdirSync(RESULTS, { recursive: true });
  if (out) fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const tables = markdownTables(report);
  if (!args.quick && !args.out) { // the committed results: only a full run without --out
    fs.writeFileSync(path.join(RESULTS, 'table.md'), tables);
    fs.writeFileSync(path.join(RESULTS, 'chart.svg'), chartSvg(report));
  }
  process.stdout.write(tables);
  for (const r of results) {
    if (r.status === 'missing') console.error(`warning: ${r.name}: ${r.failure}.`);
    for (const [name, p] of Object.entries(r.perTrace)) {
      if (p.failure) console.error(`FAILED: ${r.name} on ${name}: ${p.failure}.`);
    }
  }
  process.exitCode = results.some((r) => r.status === 'failed') ? 1 : 0;
}

main();
