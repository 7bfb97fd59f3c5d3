// Runs a wasm32-wasi command under node:wasi, with a fresh temporary directory as /tmp:
//   node examples/run-wasi.mjs build/examples/libc-demo.wasi.wasm [args...]
// Exits with the program's status; a wasm trap prints the error and exits with 134 (as abort).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { WASI } from 'node:wasi';

v8.setFlagsFromString('--no-turbo-fast-api-calls'); // else node:wasi may crash after memory.grow

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node examples/run-wasi.mjs program.wasm [args...]');
  process.exit(2);
}
const tmp = mkdtempSync(join(tmpdir(), 'tagalloc-wasi-'));
const wasi = new WASI({
  version: 'preview1', args: [file, ...args], preopens: { '/tmp': tmp }, returnOnExit: true,
});
let status;
try {
  const module = await WebAssembly.compile(readFileSync(file));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  status = wasi.start(instance);
} catch (error) {
  console.error(`wasm trap: ${error.stack}`);
  status = 134;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = status;
