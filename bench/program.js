// Runs one program of build/programs once and says how long its main took and how much linear
// memory it ended with; see bench/README.md.
//   node bench/program.js [--json] build/programs/json-tagalloc-wasi.wasm
//   node bench/program.js [--json] build/programs/json-tagalloc-emscripten.cjs
// A .wasm is a wasm32-wasi command, run under node:wasi; a .cjs is Emscripten's glue, built with
// -sMODULARIZE, which this file hands the module it compiled and its stdout and exit hooks.
// The program's stderr passes through. Without --json its stdout follows and the measurement goes
// to stderr; with --json one JSON line on stdout holds everything:
//   {"status": 0, "ms": 812.4, "memoryBytes": 26607616, "stdout": "json: ...\n"}
// The exit status is the program's (134 when it trapped).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { pathToFileURL } from 'node:url';
import { WASI } from 'node:wasi';

// Set before any module compiles: node:wasi can crash after memory.grow with fast API calls on,
// and without Liftoff every function is optimised when the module compiles, before the clock
// starts, so no program is timed while it tiers up.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
v8.setFlagsFromString('--no-liftoff');

const TRAPPED = 134; // as abort() would exit

/**
 * @typedef {object} Run
 * @property {number} status       the program's exit status; 134 when it trapped
 * @property {number} ms           wall-clock time of its start-up, main and exit
 * @property {number} memoryBytes  its memory's size at exit: the peak, as wasm memory never shrinks
 * @property {string} stdout       everything it wrote to stdout
 * @property {string} [trap]       the error when it trapped
 */

/**
 * Runs a wasm32-wasi command under node:wasi, its stdout into a temporary file.
 * @param {string} file  a .wasm with a _start
 * @returns {Run}
 */
export function runWasi(file) {
  const module = new WebAssembly.Module(fs.readFileSync(file));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tagalloc-program-'));
  const stdoutFile = path.join(dir, 'stdout');
  const stdoutFd = fs.openSync(stdoutFile, 'w');
  try {
    const wasi = new WASI({ version: 'preview1', args: [path.basename(file)], stdout: stdoutFd,
      returnOnExit: true });
    const instance = new WebAssembly.Instance(module, wasi.getImportObject());
    const run = { status: 0, ms: 0, memoryBytes: 0, stdout: '' };
    const start = performance.now();
    try {
      run.status = wasi.start(instance);
    } catch (error) {
      run.status = TRAPPED;
      run.trap = String(error?.stack ?? error);
    }
    run.ms = performance.now() - start;
    run.memoryBytes = instance.exports.memory.buffer.byteLength;
    fs.closeSync(stdoutFd);
    run.stdout = fs.readFileSync(stdoutFile, 'utf8');
    return run;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs an Emscripten program, built -sMODULARIZE -sEXIT_RUNTIME, through its glue: the clock
 * runs from the runtime's start (the module compiled and instantiated) to the glue's quit.
 * @param {string} file  the .cjs glue, its .wasm beside it
 * @returns {Promise<Run>}
 */
export async function runEmscripten(file) {
  const module = new WebAssembly.Module(fs.readFileSync(file.replace(/\.cjs$/, '.wasm')));
  const factory = createRequire(import.meta.url)(path.resolve(file));
  const run = { status: 0, ms: 0, memoryBytes: 0, stdout: '' };
  let instance = null;
  let start = 0;
  await new Promise((resolve) => {
    factory({
      instantiateWasm(imports, receive) { // synchronous, so compiling stays outside the clock
        instance = new WebAssembly.Instance(module, imports);
        receive(instance, module);
        return instance.exports;
      },
      print: (line) => { run.stdout += `${line}\n`; },
      printErr: (line) => { process.stderr.write(`${line}\n`); },
      onRuntimeInitialized: () => { start = performance.now(); },
      quit(status, reason) { // instead of process.exit: main returned, called exit, or trapped
        run.ms = performance.now() - start;
        run.status = reason?.name === 'ExitStatus' ? status : TRAPPED;
        if (run.status === TRAPPED) run.trap = String(reason?.stack ?? reason);
        resolve();
      },
    }).catch((error) => { // the glue's ready promise fails on an abort before main
      run.status = TRAPPED;
      run.trap = String(error?.stack ?? error);
      resolve();
    });
  });
  run.memoryBytes = instance?.exports.memory.buffer.byteLength ?? 0;
  return run;
}

/**
 * Runs a built program once.
 * @param {string} file  build/programs/PROGRAM-ALLOCATOR.wasm or .cjs
 * @returns {Promise<Run>}
 */
export function runProgram(file) {
  return file.endsWith('.cjs') ? runEmscripten(file) : Promise.resolve(runWasi(file));
}

async function main() {
  const args = process.argv.slice(2);
  const json = args[0] === '--json';
  const file = json ? args[1] : args[0];
  if (!file) {
    console.error('usage: node bench/program.js [--json] build/programs/PROGRAM-ALLOCATOR.wasm');
    console.error('       node bench/program.js [--json] build/programs/PROGRAM-ALLOCATOR.cjs');
    process.exit(2);
  }
  const run = await runProgram(file);
  if (run.trap) process.stderr.write(`wasm trap: ${run.trap}\n`);
  if (json) {
    process.stdout.write(`${JSON.stringify(run)}\n`);
  } else {
    process.stdout.write(run.stdout);
    process.stderr.write(`${run.ms.toFixed(1)} ms, ${run.memoryBytes} bytes of linear memory\n`);
  }
  process.exitCode = run.status;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
