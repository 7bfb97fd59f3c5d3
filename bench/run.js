// Replays malloc-lab traces against tagalloc and its peers; see bench/README.md.
//   node bench/run.js [--quick] [--out FILE] [--only WORD] [DIR ...]
// --quick    one checking pass per allocator and trace, no timing, nothing written but --out
// --out      where the JSON goes (default bench/results/latest.json in a full run)
// --only     just the allocators whose name contains WORD (repeatable), and the baseline
// DIR        more directories of .rep traces, replayed after the malloc-lab set
import v8 from 'node:v8';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { fileURLToPath } from 'node:url';
import { readTraces } from './trace.js';
import { check, instantiate, load, median, timePass } from './replay.js';
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
const TRACES = path.join(ROOT, 'traces', 'malloclab'); // the repository's copy (traces/README.md)
const BASELINE = 'wasi-libc dlmalloc';
const AVERAGED_MIN_OPS = 100; // smaller traces (short1, short2) are for debugging: listed, not averaged
const ROUNDS = 11; // each round times every allocator once more: load drifts hit all alike
const WARM = { minPasses: 3, maxPasses: 50, budgetMs: 20 }; // a round's warm passes


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
    bump: 'bump-wasi.wasm', policy, coalescing,
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
  const args = { quick: false, out: null, only: [], dirs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') args.quick = true;
    else if (a === '--out') args.out = argv[++i];
    else if (a === '--only') args.only.push(argv[++i]);
    else if (a.startsWith('--')) throw new Error(`Unknown option ${a}; see the top of bench/run.js.`);
    else args.dirs.push(a);
  }
  return args;
}

function loadTraces(extraDirs) {
  const traces = readTraces(TRACES);
  for (const dir of extraDirs) {
    for (const t of readTraces(dir)) {
      t.name = `${path.basename(path.resolve(dir))}/${t.name}`;
      traces.push(t);
    }
  }
  for (const t of traces) t.averaged = t.count >= AVERAGED_MIN_OPS;
  return traces;
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
  const timed = [];
  for (const e of entries) {
    if (!e.module) continue;
    step(`${trace.name}  check  ${e.allocator.name}`);
    let exports = null;
    const r = guarded(() => {
      exports = instantiate(e.module, e.allocator);
      return check(exports, trace);
    });
    e.result.perTrace[trace.name] = r;
    if (!r.failure && !quick && !e.allocator.untimed) {
      exports.replay_release();
      timed.push({ e, r, exports, warm: [], cold: [] });
    }
  }
  for (let round = 0; round < (quick ? 0 : ROUNDS); round++) {
    for (let k = 0; k < timed.length; k++) {
      const t = timed[(k + round) % timed.length];
      if (t.r.failure) continue;
      step(`${trace.name}  round ${round + 1}/${ROUNDS}  ${t.e.allocator.name}`);
      const outcome = guarded(() => {
        const start = performance.now();
        for (let n = 0; n < WARM.maxPasses &&
             (n < WARM.minPasses || performance.now() - start < WARM.budgetMs); n++) {
          const pass = timePass(t.exports);
          if (pass.failure) return pass;
          t.warm.push(pass.ms);
        }
        const fresh = instantiate(t.e.module, t.e.allocator);
        load(fresh, trace);
        collectGarbage();
        const pass = timePass(fresh);
        if (!pass.failure) t.cold.push(pass.ms);
        return pass;
      });
      if (outcome.failure) t.r.failure = outcome.failure;
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

/** Averages over the averaged traces, and ratios to the baseline, trace by trace and overall. */
function summarise(results, traces) {
  const averaged = traces.filter((t) => t.averaged);
  for (const r of results) {
    if (r.status === 'missing') continue;
    const rows = averaged.map((t) => r.perTrace[t.name]).filter((p) => p && !p.failure);
    if (rows.length !== averaged.length) continue; // a failed trace leaves no average
    r.average = {
      utilHeap: mean(rows.map((p) => p.utilHeap)),
      utilPages: mean(rows.map((p) => p.utilPages)),
    };
    if (rows.every((p) => p.warmMs !== undefined)) { // ops / time over all traces, as mdriver does
      const ops = averaged.reduce((n, t) => n + t.count, 0);
      r.average.warmOpsPerSec = ops / (rows.reduce((s, p) => s + p.warmMs, 0) / 1000);
      r.average.coldOpsPerSec = ops / (rows.reduce((s, p) => s + p.coldMs, 0) / 1000);
    }
  }
  const base = results.find((r) => r.name === BASELINE);
  for (const r of results) {
    if (!base || r.status === 'missing' || base.status === 'missing') continue;
    for (const [name, p] of Object.entries(r.perTrace)) {
      const b = base.perTrace[name];
      if (!b || p.failure || b.failure) continue;
      p.utilRatio = p.utilHeap / b.utilHeap;
      if (p.warmOpsPerSec && b.warmOpsPerSec) {
        p.warmRatio = p.warmOpsPerSec / b.warmOpsPerSec;
        p.coldRatio = p.coldOpsPerSec / b.coldOpsPerSec;
      }
    }
    if (r.average && base.average) {
      r.average.utilRatio = r.average.utilHeap / base.average.utilHeap;
      if (r.average.warmOpsPerSec && base.average.warmOpsPerSec) {
        r.average.warmRatio = r.average.warmOpsPerSec / base.average.warmOpsPerSec;
        r.average.coldRatio = r.average.coldOpsPerSec / base.average.coldOpsPerSec;
      }
    }
  }
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const traces = loadTraces(args.dirs);
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
  const entries = allocators.map(prepare);
  for (const trace of traces) {
    traceIndex++;
    runTrace(entries, trace, args.quick, step);
  }
  const results = entries.map((e) => e.result);
  if (process.stderr.isTTY) process.stderr.write('\n');
  summarise(results, traces);

  const report = {
    date: new Date().toISOString(),
    mode: args.quick ? 'quick' : 'full',
    node: process.version,
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.platform()}`,
    baseline: BASELINE,
    seconds: Math.round((performance.now() - started) / 1000),
    settings: { averagedMinOps: AVERAGED_MIN_OPS, rounds: ROUNDS, warmPassesPerRound: WARM },
    traces: traces.map(({ name, file, ids, count, peakLive, averaged }) =>
      ({ name, file: path.relative(ROOT, file), ids, ops: count, peakLive, averaged })),
    allocators: results,
  };
  const out = args.out ?? (args.quick ? null : path.join(RESULTS, 'latest.json'));
  if (!args.quick) fs.mkdirSync(RESULTS, { recursive: true });
  if (out) fs.writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  const tables = markdownTables(report);
  if (!args.quick) {
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
