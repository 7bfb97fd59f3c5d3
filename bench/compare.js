// Two or more builds of the bench driver, side by side: the A/B comparison behind bench/README.md's
// "interleaved runs", for deciding whether a change to src/ is worth its bytes.
//   node bench/compare.js [--rounds N] [--processes P] [--cold] [--traces WHICH]
//                         BASE.wasm OTHER.wasm...
// BASE and OTHER are replay modules: build/bench/*.wasm, or variants that
// `VARIANT=name VARIANT_FLAGS='-D...' bash build.sh variant` builds into build/variants/.
// --rounds     rounds a trace (default 7); each round gives every module, in a rotating order, a
//              few warm passes (and with --cold one pass on a fresh instance)
// --processes  run P processes one after another (default 1) and report medians over them: the
//              same module's figure moves by up to a fifth between processes (bench/README.md)
// --traces     malloclab, programs (default: both), or trace names separated by commas
// Prints, a trace a line, each module's speed as a ratio to BASE's (above 1: faster) and its heap
// end in bytes (utilisation: lower is better); then the total time of each set, as a ratio, and
// each module's code bytes as bench/run.js counts them.
// Nothing is written. Like bench/run.js, it times with Liftoff off, so code is optimised up front.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SETS, selectTraces } from './trace.js';
import { check, inProcesses, instantiate, median, timeRound } from './replay.js';

v8.setFlagsFromString('--no-turbo-fast-api-calls');
v8.setFlagsFromString('--no-liftoff');
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const args = { rounds: 7, processes: 1, cold: false, traces: null, json: false, files: [] };
  const count = (value, option) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${option} takes a whole number above 0.`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') args.rounds = count(argv[++i], a);
    else if (a === '--processes') args.processes = count(argv[++i], a);
    else if (a === '--cold') args.cold = true;
    else if (a === '--traces') args.traces = argv[++i];
    else if (a === '--json') args.json = true; // one process's figures, for the parent
    else if (a.startsWith('--')) {
      throw new Error(`Unknown option ${a}; see the top of bench/compare.js.`);
    } else args.files.push(a);
  }
  if (args.files.length < 2) throw new Error('Give at least two modules: the base, then others.');
  for (const f of args.files) if (!fs.existsSync(f)) throw new Error(`${f}: no such file.`);
  args.traces = selectTraces(path.join(ROOT, 'traces'), args.traces);
  return args;
}

/** One process: per trace, each module's median warm (and cold) pass in ms and its heap end. */
function measure(args) {
  const modules = args.files.map((file) => ({
    file, module: new WebAssembly.Module(fs.readFileSync(file)),
  }));
  const rows = [];
  for (const trace of args.traces) {
    const runs = modules.map(({ file, module }) => {
      const exports = instantiate(module, { wasm: file, name: file });
      const checked = check(exports, trace);
      if (checked.failure) throw new Error(`${file} on ${trace.name}: ${checked.failure}`);
      exports.replay_release();
      return { file, module, exports, heapBytes: checked.heapBytes, warm: [], cold: [] };
    });
    for (let round = 0; round < args.rounds; round++) {
      for (let k = 0; k < runs.length; k++) {
        const run = runs[(k + round) % runs.length];
        const allocator = { wasm: run.file, name: run.file };
        const outcome = timeRound(run.exports, args.cold
          ? { module: run.module, allocator, trace, collect: collectGarbage } : null);
        if (outcome.failure) throw new Error(`${run.file} on ${trace.name}: ${outcome.failure}`);
        run.warm.push(...outcome.warm);
        if (args.cold) run.cold.push(outcome.cold);
      }
    }
    rows.push({
      trace: trace.name, set: trace.set, heapBytes: runs.map((r) => r.heapBytes),
      warmMs: runs.map((r) => median(r.warm)),
      coldMs: args.cold ? runs.map((r) => median(r.cold)) : null,
    });
  }
  return rows;
}

/** Medians over processes of each trace's figures (the heap ends are the same in every one). */
function combine(perProcess) {
  const medianOf = (pick) => perProcess[0].map((_, i) => perProcess[0][i][pick] &&
    perProcess[0][i][pick].map((_, m) => median(perProcess.map((rows) => rows[i][pick][m]))));
  const warm = medianOf('warmMs'), cold = medianOf('coldMs');
  return perProcess[0].map((row, i) => ({ ...row, warmMs: warm[i], coldMs: cold[i] }));
}

function report(args, rows, processes) {
  const names = args.files.map((f) => path.basename(f, '.wasm'));
  const ratios = (ms) => ms.map((t, m) => (m ? (ms[0] / t).toFixed(3) : `${t.toFixed(3)} ms`));
  const width = Math.max(12, ...rows.map((r) => r.trace.length)) + 2;
  const cell = (text) => String(text).padStart(Math.max(12, ...names.map((n) => n.length)) + 2);
  const kinds = rows[0].coldMs ? ['warm', 'cold'] : ['warm'];
  console.log(`${processes} process${processes > 1 ? 'es' : ''}, ${args.rounds} rounds a trace;`
    + ' speed as BASE\'s time over each'
    + ` module's (above 1: faster), heap end in bytes (lower: less memory)`);
  for (const kind of kinds) {
    console.log(`\n${kind}`.padEnd(width + 1) + names.map(cell).join('') + cell('heap end →'));
    for (const r of rows) {
      console.log(r.trace.padEnd(width) + ratios(r[`${kind}Ms`]).map(cell).join('')
        + '  ' + r.heapBytes.join(' '));
    }
    for (const set of SETS) {
      const inSet = rows.filter((r) => r.set === set);
      if (!inSet.length) continue;
      const total = names.map((_, m) => inSet.reduce((s, r) => s + r[`${kind}Ms`][m], 0));
      console.log(`${set} total`.padEnd(width) + ratios(total).map(cell).join(''));
    }
  }
  console.log('code bytes'.padEnd(width) + args.files.map(codeBytes).map(cell).join(''));
}

/** A module's bytes less its toolchain's bump build of the same driver, as bench/run.js counts
 * them (an Emscripten module imports from its glue; a wasi reactor imports nothing). */
function codeBytes(file) {
  const module = new WebAssembly.Module(fs.readFileSync(file));
  const glue = WebAssembly.Module.imports(module).some((i) => i.name === 'emscripten_resize_heap');
  const bump = path.join(ROOT, 'build', 'bench', glue ? 'bump-emscripten.wasm' : 'bump-wasi.wasm');
  return fs.existsSync(bump) ? fs.statSync(file).size - fs.statSync(bump).size : '?';
}

let args;
try {
  args = parseArgs(process.argv.slice(2));
} catch (error) {
  console.error(`bench/compare.js: ${error.message}`);
  process.exit(2);
}
/** One process's figures; a module that fails a trace's checking pass, or traps, ends the run. */
function measured() {
  try {
    return measure(args);
  } catch (error) {
    console.error(`bench/compare.js: ${error.message}`);
    process.exit(1);
  }
}

if (args.json) {
  process.stdout.write(JSON.stringify(measured()));
} else if (args.processes === 1) {
  report(args, measured(), 1);
} else {
  const perProcess = inProcesses(fileURLToPath(import.meta.url), process.argv.slice(2),
    args.processes, (k) => process.stderr.write(`process ${k + 1}/${args.processes}\n`));
  report(args, combine(perProcess), args.processes);
}
