// Runs the C programs of bench/programs/ linked with every allocator; see bench/README.md.
//   node bench/programs.js [--rounds N] [--only WORD]
// --rounds   how many times each program runs with each allocator (default 7)
// --only     just the allocators whose name contains WORD (repeatable), and the baseline
// Writes bench/results/programs.json and bench/results/programs.md and prints the tables; a
// progress line goes to stderr. Exit status 1 when a program fails with any allocator: a non-zero
// exit, a trap, or output that differs from the baseline's.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median } from './replay.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD = path.join(ROOT, 'build', 'programs');
const RESULTS = path.join(ROOT, 'bench', 'results');
const RUNNER = path.join(ROOT, 'bench', 'program.js');
const BASELINE = 'wasi-libc dlmalloc';

/** The programs, in bench/programs/, and what each does to the allocator. */
export const PROGRAMS = [
  {
    name: 'json',
    note: 'a generated JSON document parsed into a tree, written back, compared, freed; 6 times',
  },
  {
    name: 'wordfreq',
    note: 'word counts of a generated text in chained hash tables, strdup\'d keys, sorted',
  },
  {
    name: 'binarytrees',
    note: 'the Benchmarks Game\'s binary trees: many short-lived trees and one long-lived',
  },
];

/** Every allocator the programs are linked with: build/programs/PROGRAM-ID.wasm (wasi) or .cjs
 * (Emscripten). An optional one that is not built is left out with a note. */
export const ALLOCATORS = [
  { name: BASELINE, id: 'dlmalloc-wasi', note: 'clang --target=wasm32-wasi, libc\'s own malloc' },
  { name: 'tagalloc', id: 'tagalloc-wasi', note: 'the wasi drop-in, build/wasi/libtagalloc.a' },
  {
    name: 'tagalloc small', id: 'tagalloc-small-wasi', optional: true,
    note: 'the small wasi drop-in, build/wasi/libtagalloc-small.a',
  },
  { name: 'emscripten dlmalloc', id: 'dlmalloc-emscripten', note: 'emcc -sMALLOC=dlmalloc' },
  { name: 'emscripten emmalloc', id: 'emmalloc-emscripten', note: 'emcc -sMALLOC=emmalloc' },
  {
    name: 'tagalloc emscripten', id: 'tagalloc-emscripten',
    note: 'emcc -sMALLOC=none build/emscripten/libtagalloc.a',
  },
  {
    name: 'tagalloc small emscripten', id: 'tagalloc-small-emscripten', optional: true,
    note: 'emcc -sMALLOC=none build/emscripten/libtagalloc-small.a',
  },
];

/**
 * Where a program built with an allocator is.
 * @param {string} program  a name from PROGRAMS
 * @param {{id: string}} allocator  an entry of ALLOCATORS
 * @returns {string}
 */
export function programFile(program, allocator) {
  const ext = allocator.id.endsWith('-emscripten') ? 'cjs' : 'wasm';
  return path.join(BUILD, `${program}-${allocator.id}.${ext}`);
}

/**
 * Runs a built program once in a fresh Node, through bench/program.js.
 * @param {string} file  from programFile()
 * @returns {Promise<import('./program.js').Run & {stderr: string}>}
 */
export function runOnce(file) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-warnings', RUNNER, '--json', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => {
      let run;
      try {
        run = JSON.parse(stdout.trim().split('\n').pop());
      } catch {
        run = { status: code ?? -1, ms: 0, memoryBytes: 0, stdout: '',
          trap: `bench/program.js ended (${signal ?? `status ${code}`}) without a result` };
      }
      resolve({ ...run, stderr });
    });
  });
}

function parseArgs(argv) {
  const args = { rounds: 7, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rounds') args.rounds = Number(argv[++i]);
    else if (a === '--only') args.only.push(argv[++i]);
    else throw new Error(`Unknown argument ${a}; see the top of bench/programs.js.`);
  }
  if (!(args.rounds >= 1)) throw new Error('--rounds takes a number, 1 or more.');
  return args;
}

/** Why a run does not count: a failure, or output other than the baseline's. */
function failureOf(run, expected) {
  if (run.trap) return `it trapped: ${run.trap.split('\n')[0]}`;
  if (run.status !== 0) return `it exited with status ${run.status}: ${run.stderr.trim()}`;
  if (expected !== undefined && run.stdout !== expected) {
    return `its output differs from ${BASELINE}'s:\n  got      ${run.stdout.trim()}\n` +
      `  expected ${expected.trim()}`;
  }
  return null;
}

const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/**
 * Every program with every allocator, `rounds` times, in an order that rotates each round so
 * that a load drift on the machine slows every allocator alike. The baseline goes first in the
 * first round, so every later output is compared with its output.
 */
async function runAll(entries, rounds, step) {
  const expected = {};
  for (let round = 0; round < rounds; round++) {
    const live = entries.filter((e) => !e.result.failure);
    for (let k = 0; k < live.length; k++) {
      const e = live[(k + round) % live.length];
      if (e.result.failure) continue; // its baseline failed this round
      step(`round ${round + 1}/${rounds}  ${e.program}  ${e.allocator.name}`);
      const run = await runOnce(e.file);
      const failure = failureOf(run, expected[e.program]);
      if (failure) {
        e.result.failure = failure;
        if (e.allocator.name === BASELINE) {
          for (const other of entries) {
            if (other.program === e.program && other !== e) other.result.failure ??= 'no baseline';
          }
        }
        continue;
      }
      if (e.allocator.name === BASELINE) expected[e.program] ??= run.stdout;
      e.result.output ??= run.stdout.trim();
      e.runs.push(run.ms);
      e.result.memoryBytes = Math.max(e.result.memoryBytes ?? 0, run.memoryBytes);
    }
  }
}

function summarise(entries, allocators) {
  for (const e of entries) {
    if (e.result.failure || e.runs.length === 0) continue;
    Object.assign(e.result, {
      ms: median(e.runs), minMs: Math.min(...e.runs), maxMs: Math.max(...e.runs), runsMs: e.runs,
    });
  }
  const find = (program, name) =>
    entries.find((e) => e.program === program && e.allocator.name === name);
  for (const e of entries) {
    const base = find(e.program, BASELINE)?.result;
    if (e.result.ms === undefined || base?.ms === undefined) continue;
    e.result.speedRatio = base.ms / e.result.ms; // above 1: faster than the baseline
    e.result.memoryRatio = base.memoryBytes / e.result.memoryBytes; // above 1: less memory
  }
  return allocators.map((a) => {
    const rows = entries.filter((e) => e.allocator === a).map((e) => e.result);
    const summary = { name: a.name, note: a.note, status: a.status, programs: {} };
    for (const [i, p] of PROGRAMS.entries()) summary.programs[p.name] = rows[i];
    if (a.status === 'ok' && rows.every((r) => r.speedRatio !== undefined)) {
      summary.speedRatio = geomean(rows.map((r) => r.speedRatio));
      summary.memoryRatio = geomean(rows.map((r) => r.memoryRatio));
    }
    return summary;
  });
}

const mib = (bytes) => (bytes / 2 ** 20).toFixed(2);
const times = (x) => (x === undefined ? '' : `${x.toFixed(2)}×`);

/** The two tables of bench/results/programs.md: time, then memory. */
function markdown(report) {
  const ok = report.allocators.filter((a) => a.status === 'ok');
  const names = PROGRAMS.map((p) => p.name);
  const lines = [
    '# Programs: whole C programs on each allocator',
    '',
    `Latest run: ${report.date.replace('T', ' ').slice(0, 16)} UTC, ${report.machine}, Node ` +
      `${report.node}; ${report.rounds} runs of each program with each allocator, interleaved. ` +
      `× is the ratio to ${BASELINE}, above 1 better (faster, or less memory); the last column ` +
      'is the geometric mean over the programs. How they are built and run: ' +
      '[bench/README.md](../README.md#programs-whole-c-programs).',
    '',
    '## Run time: median ms (fastest – slowest run)',
    '',
    `| allocator | ${names.map((n) => `${n} | ×`).join(' | ')} | mean × |`,
    `| --- | ${names.map(() => '---: | ---:').join(' | ')} | ---: |`,
  ];
  const cell = (r, value) => (r?.failure ? 'FAILED | ' : r?.ms === undefined ? '– | ' : value);
  for (const a of ok) {
    const cells = names.map((n) => {
      const r = a.programs[n];
      return cell(r, `${r.ms?.toFixed(0)} (${r.minMs?.toFixed(0)}–${r.maxMs?.toFixed(0)}) | ` +
        times(r.speedRatio));
    });
    lines.push(`| ${a.name} | ${cells.join(' | ')} | ${times(a.speedRatio)} |`);
  }
  lines.push('', '## Peak linear memory: MiB at exit', '',
    `| allocator | ${names.map((n) => `${n} | ×`).join(' | ')} | mean × |`,
    `| --- | ${names.map(() => '---: | ---:').join(' | ')} | ---: |`);
  for (const a of ok) {
    const cells = names.map((n) => {
      const r = a.programs[n];
      return cell(r, `${mib(r.memoryBytes)} | ${times(r.memoryRatio)}`);
    });
    lines.push(`| ${a.name} | ${cells.join(' | ')} | ${times(a.memoryRatio)} |`);
  }
  const missing = report.allocators.filter((a) => a.status !== 'ok');
  if (missing.length) {
    const list = missing.map((a) => `${a.name} (${a.note})`).join('; ');
    lines.push('', `Not built, so not run: ${list}.`);
  }
  lines.push('', 'Output of every program, the same with every allocator:', '', '```');
  for (const n of names) {
    const base = report.allocators.find((a) => a.name === BASELINE);
    lines.push(base?.programs[n]?.output ?? `${n}: –`);
  }
  lines.push('```', '');
  return lines.join('\n');
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const allocators = ALLOCATORS.filter((a) => a.name === BASELINE || // every ratio needs it
    args.only.length === 0 || args.only.some((w) => a.name.includes(w)))
    .map((a) => ({ ...a, status: PROGRAMS.every((p) => fs.existsSync(programFile(p.name, a)))
      ? 'ok' : 'missing' }));
  const entries = [];
  for (const p of PROGRAMS) {
    for (const a of allocators) {
      if (a.status !== 'ok') continue;
      entries.push({ program: p.name, allocator: a, file: programFile(p.name, a), runs: [],
        result: {} });
    }
  }
  const started = performance.now();
  const step = (what) => {
    const text = `${((performance.now() - started) / 1000).toFixed(0)} s  ${what}`;
    if (process.stderr.isTTY) process.stderr.write(`\r${text.slice(0, 100).padEnd(100)}`);
  };
  await runAll(entries, args.rounds, step);
  if (process.stderr.isTTY) process.stderr.write('\n');
  // Entries of a missing allocator are absent; summarise() gives them empty rows.
  for (const a of allocators.filter((x) => x.status !== 'ok')) {
    for (const p of PROGRAMS) entries.push({ program: p.name, allocator: a, runs: [], result: {} });
  }
  entries.sort((x, y) => PROGRAMS.findIndex((p) => p.name === x.program) -
    PROGRAMS.findIndex((p) => p.name === y.program));
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model?.trim() ?? 'unknown cpu'}, ` +
      os.platform(),
    baseline: BASELINE,
    rounds: args.rounds,
    seconds: Math.round((performance.now() - started) / 1000),
    programs: PROGRAMS,
    allocators: summarise(entries, allocators),
  };
  fs.mkdirSync(RESULTS, { recursive: true });
  fs.writeFileSync(path.join(RESULTS, 'programs.json'), `${JSON.stringify(report, null, 2)}\n`);
  const table = markdown(report);
  fs.writeFileSync(path.join(RESULTS, 'programs.md'), table);
  process.stdout.write(table);

  let failed = false;
  for (const a of report.allocators) {
    if (a.status !== 'ok') {
      const required = !ALLOCATORS.find((x) => x.name === a.name).optional;
      const level = required ? 'warning' : 'note';
      console.error(`${level}: ${a.name} is not built (bash build.sh programs).`);
      if (a.name === BASELINE) failed = true;
      continue;
    }
    for (const [program, r] of Object.entries(a.programs)) {
      if (!r.failure) continue;
      console.error(`FAILED: ${program} with ${a.name}: ${r.failure}`);
      failed = true;
    }
  }
  process.exitCode = failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
