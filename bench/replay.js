// Runs bench/replay.c's modules from JavaScript: instantiating them, loading a trace into the
// driver's static ops, the checking pass and the timed passes. bench/run.js drives it for every
// allocator; test/bench.test.js uses it on deliberately faulty builds.
import { spawnSync } from 'node:child_process';
import path from 'node:path';

/** Why a pass stopped, by bench/replay.c's REPLAY_* code. */
export const FAILURES = [
  null,
  'the trace has more ops or ids than the driver\'s static arrays hold',
  'the trace frees an id that is not live, or allocates one that is',
  'malloc or realloc returned NULL',
  'a payload is not aligned to _Alignof(max_align_t)',
  'a payload starts below __heap_base or ends past the end of memory',
  'a payload overlaps another live payload',
  'the bytes of a live payload changed (or realloc did not keep them)',
];

const EMSCRIPTEN_HEAP_MAX = 4294901760; // what the glue reports for -sMAXIMUM_MEMORY=4GB: 4 GiB - 64 KiB

/** What emcc's JS glue would provide, and no more. The heap grows to exactly the size asked for
 * (the glue adds 20% or more), so that every allocator's pages count the same way. */
function emscriptenImports(memory) {
  return {
    emscripten_get_heap_max: () => EMSCRIPTEN_HEAP_MAX,
    emscripten_resize_heap(requested) {
      const want = requested >>> 0;
      const have = memory().buffer.byteLength;
      if (want <= have) return 1;
      if (want > EMSCRIPTEN_HEAP_MAX) return 0;
      try {
        memory().grow(Math.ceil((want - have) / 65536));
        return 1;
      } catch {
        return 0; // RangeError: the engine refused
      }
    },
    emscripten_memcpy_big(dest, src, bytes) {
      new Uint8Array(memory().buffer).copyWithin(dest >>> 0, src >>> 0, (src >>> 0) + (bytes >>> 0));
    },
  };
}

/**
 * A fresh instance: one heap, as the allocator is before its first call.
 * @param {WebAssembly.Module} module  one of build/bench/*.wasm
 * @param {{wasm: string, name: string, policy?: number, coalescing?: number}} allocator
 * @returns {WebAssembly.Exports}
 */
export function instantiate(module, allocator) {
  let exports = null;
  const provided = emscriptenImports(() => exports.memory);
  const imports = {};
  for (const { module: from, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') throw new Error(`${allocator.wasm} imports a ${kind}, ${from}.${name}.`);
    (imports[from] ??= {})[name] = (from === 'env' && provided[name]) || (() => {
      throw new Error(`${allocator.wasm} called ${from}.${name}, which the bench does not provide.`);
    });
  }
  exports = new WebAssembly.Instance(module, imports).exports;
  if (exports._initialize) exports._initialize(); // wasi reactors
  else exports.__wasm_call_ctors?.(); // emcc --no-entry
  if (allocator.policy !== undefined) {
    if (exports.replay_set_policy(allocator.policy) < 0 ||
        exports.replay_set_coalescing(allocator.coalescing) < 0) {
      throw new Error(`${allocator.wasm} refused policy ${allocator.name}.`);
    }
  }
  return exports;
}

/**
 * Copies the trace's ops into the driver's static array: before any pass, never during one.
 * @returns {string | null}  why the driver cannot hold the trace, or null
 */
export function load(exports, trace) {
  const rc = exports.replay_load(trace.count, trace.ids);
  if (rc !== 0) return FAILURES[rc];
  new Uint32Array(exports.memory.buffer, exports.replay_ops(), trace.ops.length).set(trace.ops);
  return null;
}

function failure(exports, rc) {
  return `${FAILURES[rc] ?? `code ${rc}`} (op ${exports.replay_failed_op() + 1})`;
}

/**
 * The checking pass on a fresh instance, and the utilisation it measured.
 * @param {WebAssembly.Exports} exports  from instantiate(), before any other pass
 * @param {import('./trace.js').Trace} trace
 * @returns {{failure: string | null, peakLive?: number, heapBytes?: number, pageBytes?: number,
 *   utilHeap?: number, utilPages?: number}}
 */
export function check(exports, trace) {
  const loadFailure = load(exports, trace);
  if (loadFailure) return { failure: loadFailure };
  const rc = exports.replay_check();
  if (rc !== 0) return { failure: failure(exports, rc) };
  const broken = exports.tagalloc_check?.() ?? 0; // the policy build links tagalloc's own checker
  if (broken !== 0) {
    const where = exports.tagalloc_check_where().toString(16);
    return { failure: `tagalloc_check() finds invariant I${broken} broken at payload 0x${where}` };
  }
  const peakLive = exports.replay_peak_live();
  if (peakLive !== trace.peakLive) {
    return { failure: `the driver counted ${peakLive} peak live bytes, the trace has ${trace.peakLive}` };
  }
  const base = exports.replay_heap_base();
  const heapBytes = exports.replay_high_end() - base;
  const pageBytes = exports.memory.buffer.byteLength - base;
  return {
    failure: null,
    peakLive,
    heapBytes,
    pageBytes,
    utilHeap: heapBytes > 0 ? peakLive / heapBytes : 1,
    utilPages: pageBytes > 0 ? peakLive / pageBytes : 1,
  };
}

/**
 * The median of some numbers.
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Runs `script` (bench/run.js or bench/compare.js) with `argv` and `--json` in `count`
 * processes, one after another; each prints its figures as JSON, returned here parsed. `note(k)`
 * is called before process k starts. A timed figure moves between processes with where V8 puts
 * the machine code, so both scripts take medians over processes (bench/README.md). */
export function inProcesses(script, argv, count, note) {
  const outputs = [];
  for (let k = 0; k < count; k++) {
    note(k);
    const child = spawnSync(process.execPath, [script, ...argv, '--json'],
      { encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    if (child.status !== 0) {
      throw new Error(`${path.basename(script)}: process ${k + 1} of ${count} ended with ` +
        `status ${child.status}`);
    }
    outputs.push(JSON.parse(child.stdout));
  }
  return outputs;
}

/** bench/run.js's allocator results from several processes (`runs`: one array a process) as
 * one: the first process's checks (they do not depend on the process), and each trace's warm and
 * cold time the median of the processes' medians. A trace that failed in any process failed. */
export function mergeProcesses(runs) {
  return runs[0].map((first, i) => {
    const merged = { ...first, perTrace: {} };
    for (const [name, p] of Object.entries(first.perTrace)) {
      const all = runs.map((run) => run[i].perTrace[name]);
      const failed = all.find((q) => q.failure);
      if (failed) {
        merged.perTrace[name] = { ...p, failure: failed.failure };
        merged.status = 'failed';
        continue;
      }
      const q = { ...p };
      merged.perTrace[name] = q;
      if (p.warmMs === undefined) continue; // checked, not timed
      q.warmMs = median(all.map((r) => r.warmMs));
      q.coldMs = median(all.map((r) => r.coldMs));
      q.warmPasses = all.reduce((n, r) => n + r.warmPasses, 0);
      q.warmOpsPerSec = p.warmOpsPerSec * (p.warmMs / q.warmMs);
      q.coldOpsPerSec = p.coldOpsPerSec * (p.coldMs / q.coldMs);
    }
    return merged;
  });
}

/**
 * One timed pass, then an untimed replay_release so the next pass starts from an empty heap.
 * @param {WebAssembly.Exports} exports  an instance that has the trace loaded
 * @returns {{ms?: number, failure?: string}}
 */
export function timePass(exports) {
  const t0 = performance.now();
  const rc = exports.replay_run();
  const t1 = performance.now();
  if (rc !== 0) return { failure: failure(exports, rc) };
  exports.replay_release();
  return { ms: t1 - t0 };
}

/** A round's warm passes: at least minPasses, then more while the round is under budgetMs. */
export const WARM_ROUND = { minPasses: 3, maxPasses: 50, budgetMs: 20 };

/**
 * One round of a trace for one allocator, as bench/run.js and bench/compare.js time it: warm
 * passes in its checked instance, then, when `cold` is given, one pass on a fresh instance of
 * the module with the trace loaded, after `cold.collect()` (a garbage collection: freeing the
 * instances before it is not this pass's work).
 * @param {WebAssembly.Exports} exports  an instance that has the trace loaded
 * @param {{module: WebAssembly.Module, allocator: object, trace: object, collect: () => void}
 *   | null} cold
 * @returns {{warm: number[], cold: number | null} | {failure: string}}
 */
export function timeRound(exports, cold) {
  const warm = [];
  const start = performance.now();
  for (let n = 0; n < WARM_ROUND.maxPasses &&
       (n < WARM_ROUND.minPasses || performance.now() - start < WARM_ROUND.budgetMs); n++) {
    const pass = timePass(exports);
    if (pass.failure) return pass;
    warm.push(pass.ms);
  }
  if (!cold) return { warm, cold: null };
  const fresh = instantiate(cold.module, cold.allocator);
  load(fresh, cold.trace);
  cold.collect();
  const pass = timePass(fresh);
  return pass.failure ? pass : { warm, cold: pass.ms };
}
