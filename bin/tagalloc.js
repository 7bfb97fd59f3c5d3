#!/usr/bin/env node
// tagalloc's command line: record a WASI program built with the recording library, compare a
// trace under every policy. `tagalloc help` says how; README.md, "See your own program's heap".
import fs from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { parseRep, writeRep } from '../cli/rep.js';

// Before any module compiles: node:wasi may crash after memory.grow with fast API calls on.
v8.setFlagsFromString('--no-turbo-fast-api-calls');
const emitWarning = process.emitWarning;
// node:wasi's notice that it is experimental is not the program's output
process.emitWarning = (warning, ...rest) => {
  if (String(warning).startsWith('WASI is an experimental feature')) return;
  emitWarning.call(process, warning, ...rest);
};

const USAGE = `usage:
  tagalloc record [options] app.wasm [args...]
      runs app.wasm (a WASI program linked with build/wasi/libtagalloc-record.a) under Node,
      its stdout, stderr and exit code passed through, the current directory preopened, and
      writes its allocation trace (CS:APP malloc-lab .rep) and a JSON summary
        --out FILE.rep   the trace (default: app.rep in the current directory)
        --json FILE      the summary (default: the trace's name with .json)
        --svg FILE       also a chart of its memory over time
        --progress       a progress line on stderr even when it is not a terminal
        --quiet          no closing line on stderr
  tagalloc compare [options] trace.rep
      replays the trace in tagalloc.wasm under the 4 fit policies x 2 coalescing modes
        --runs N         timed runs of each (default 5)
        --json           JSON instead of the table
        --progress       a progress line on stderr even when it is not a terminal
`;

class UsageError extends Error {}

/** A progress line: rewritten in place on a terminal, a line each time with --progress. */
function progressLine(forced) {
  if (!process.stderr.isTTY && !forced) return null;
  let shown = false;
  return {
    show(text) {
      if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
      else process.stderr.write(`${text}\n`);
      shown = true;
    },
    done() {
      if (shown && process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    },
  };
}

function readInput(file, what) {
  try {
    return fs.readFileSync(file);
  } catch (error) {
    if (error.code === 'ENOENT') throw new UsageError(`${file}: no such file (the ${what})`);
    if (error.code === 'EISDIR') throw new UsageError(`${file} is a directory, not the ${what}`);
    throw new UsageError(`${file}: cannot read the ${what}: ${error.message}`);
  }
}

function takeOptions(argv, known, { stopAtFile }) {
  const options = {};
  const positional = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('--')) {
      if (stopAtFile) break;
      positional.push(a);
      continue;
    }
    const name = a.slice(2);
    if (!(name in known)) throw new UsageError(`unknown option ${a}`);
    if (known[name]) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      options[name] = argv[++i];
    } else {
      options[name] = true;
    }
  }
  return { options, rest: [...positional, ...argv.slice(i)] };
}

async function record(argv) {
  const { options, rest } = takeOptions(argv,
    { out: true, json: true, svg: true, progress: false, quiet: false }, { stopAtFile: true });
  const [file, ...args] = rest;
  if (!file) throw new UsageError('record: which program? tagalloc record app.wasm [args...]');
  const bytes = readInput(file, 'program');
  const { recordProgram } = await import('../cli/record.js');
  const { memorySvg, sampleTimeline } = await import('../cli/svg.js');
  const stem = path.basename(file).replace(/\.wasm$/, '');
  const out = options.out ?? `${stem}.rep`;
  const jsonOut = options.json ?? out.replace(/\.rep$/, '') + '.json';
  const progress = progressLine(options.progress);
  const started = Date.now();
  const run = await recordProgram(bytes, {
    name: file, args,
    onProgress: progress && ((calls) => progress.show(`tagalloc: ${calls.toLocaleString('en')} ` +
      `calls, ${((Date.now() - started) / 1000).toFixed(1)} s`)),
  });
  progress?.done();
  const { summary, trace, timeline } = run;
  summary.timeline = sampleTimeline(timeline, 200);
  writeRep(out, trace, summary.peakHeap);
  fs.writeFileSync(jsonOut, JSON.stringify(summary, null, 1) + '\n');
  if (options.svg) {
    fs.writeFileSync(options.svg, memorySvg(timeline, `${path.basename(file)}: memory by call ` +
      `(${summary.calls.total.toLocaleString('en')} calls)`));
  }
  if (run.trap) process.stderr.write(`tagalloc: ${file} trapped: ${run.trap.message}\n`);
  if (!options.quiet) {
    process.stderr.write(`tagalloc: ${summary.calls.total.toLocaleString('en')} calls, peak live ` +
      `${summary.peakLiveBytes.toLocaleString('en')} bytes, peak heap ` +
      `${summary.peakHeap.toLocaleString('en')} bytes; wrote ${out}, ${jsonOut}` +
      `${options.svg ? `, ${options.svg}` : ''}\n`);
  }
  return run.exitCode;
}

async function compare(argv) {
  const { options, rest } = takeOptions(argv, { runs: true, json: false, progress: false },
    { stopAtFile: false });
  const files = rest;
  if (files.length !== 1) {
    throw new UsageError('compare: one trace, please: tagalloc compare trace.rep');
  }
  const runs = options.runs === undefined ? 5 : Number(options.runs);
  if (!Number.isInteger(runs) || runs < 0) throw new UsageError('--runs takes a whole number');
  const text = readInput(files[0], 'trace').toString('utf8');
  const trace = parseRep(text, files[0]);
  const { compareTrace, formatTable } = await import('../cli/compare.js');
  const progress = progressLine(options.progress);
  const rows = await compareTrace(trace,
    { runs, onProgress: progress && ((t) => progress.show(`tagalloc: ${t}`)) });
  progress?.done();
  if (options.json) {
    process.stdout.write(JSON.stringify({ trace: { name: trace.name, ops: trace.count,
      ids: trace.ids, peakLive: trace.peakLive }, rows }, null, 1) + '\n');
  } else {
    process.stdout.write(formatTable(trace, rows));
  }
  return 0;
}

async function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'record') return record(rest);
  if (command === 'compare') return compare(rest);
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  throw new UsageError(command ? `unknown command ${command}` : 'which command?');
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const known = error instanceof UsageError || ['TraceError', 'RecordError'].includes(error.name);
  process.stderr.write(`tagalloc: ${known ? error.message : error.stack}\n`);
  if (error instanceof UsageError && /^(unknown|which|record:|compare:|--)/.test(error.message)) {
    process.stderr.write(USAGE);
    process.exitCode = 2;
  } else {
    process.exitCode = 1;
  }
}
