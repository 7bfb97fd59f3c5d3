// The recording drop-in and the command line (issue 14): test/record's two programs, linked with
// build/wasi/libtagalloc-record.a by `bash build.sh record`, recorded with bin/tagalloc.js in a
// fresh directory. Their output and exit code pass through unchanged; replaying the trace in
// tagalloc.wasm under the same default policy reproduces the recorded peaks and the chunk list
// at exit; bad inputs fail with a sentence and a non-zero status. Times nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import { createHeap } from '../wasm/index.js';
import { parseRep } from '../cli/rep.js';
import { relativeChunks, replay } from '../cli/compare.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'tagalloc.js');
const build = path.join(root, 'build', 'record');

function built(name) {
  const file = path.join(build, name);
  assert.ok(fs.existsSync(file), `${path.relative(root, file)} is missing: run bash build.sh ` +
    'record (npm test does) first');
  return file;
}

const dirs = [];
function freshDir() {
  dirs.push(fs.mkdtempSync(path.join(os.tmpdir(), 'tagalloc-record-')));
  return dirs.at(-1);
}
test.after(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the command line in a fresh directory; returns its status, output and the directory. */
function tagalloc(args, { dir = freshDir() } = {}) {
  const run = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, dir };
}

/** The same program on the ordinary drop-in, through examples/run-wasi.mjs. */
function runPlain(file, args) {
  const runner = path.join(root, 'examples', 'run-wasi.mjs');
  const run = spawnSync(process.execPath, [runner, file, ...args], { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout };
}

function readRecording(dir, stem) {
  const text = fs.readFileSync(path.join(dir, `${stem}.rep`), 'utf8');
  return {
    trace: parseRep(text, `${stem}.rep`),
    summary: JSON.parse(fs.readFileSync(path.join(dir, `${stem}.json`), 'utf8')),
  };
}

/** Replays the recorded trace in tagalloc.wasm, default policy, and compares with the record. */
async function assertReplayMatches({ trace, summary }) {
  assert.equal(summary.final.chunksAfterOps, trace.count, 'the chunk list came after the last op');
  assert.ok(summary.final.chunks.length > 0);
  const heap = await createHeap(); // segregated fit, immediate coalescing, as the drop-in
  const { failed } = replay(heap, trace);
  assert.equal(failed, 0);
  assert.deepEqual(heap.check(), { ok: true });
  const stats = heap.stats();
  assert.equal(stats.peakHeap, summary.peakHeap, 'peak heap');
  assert.equal(stats.peakInUse, summary.peakInUse, 'peak bytes in use');
  assert.equal(stats.heapSize, summary.final.heapSize, 'heap size at exit');
  assert.equal(stats.inUse, summary.final.inUse, 'bytes in use at exit');
  assert.deepEqual(relativeChunks(heap), summary.final.chunks, 'the chunk list at exit');
  assert.equal(trace.peakLive, summary.peakLiveBytes, 'the trace\'s own peak of live requests');
}

test('wordfreq recorded: its output and status pass through; its trace replays to the same heap',
  async () => {
  const file = built('wordfreq.wasm');
  const run = tagalloc(['record', '--svg', 'memory.svg', file, '5000', '3']);
  assert.equal(run.status, 3, run.stderr);
  const plain = runPlain(built('wordfreq.plain.wasm'), ['5000', '3']);
  assert.equal(plain.status, 3);
  assert.match(run.stdout, /^\d+ distinct words in 5000\n/);
  assert.equal(run.stdout, plain.stdout, 'the recording changes nothing the program prints');
  assert.match(run.stderr, /^wordfreq: \d+ buckets$/m, 'the program\'s stderr passes through');
  assert.doesNotMatch(run.stderr, /ExperimentalWarning/);

  const recording = readRecording(run.dir, 'wordfreq');
  const { summary, trace } = recording;
  assert.equal(summary.exitCode, 3);
  assert.equal(summary.trace.ops, trace.count);
  assert.equal(summary.calls.total, summary.calls.malloc + summary.calls.calloc +
    summary.calls.realloc + summary.calls.aligned_alloc + summary.calls.free);
  assert.ok(summary.calls.calloc >= 1 && summary.calls.realloc >= 1, 'the table grows by realloc');
  assert.equal(summary.final.liveBlocks, summary.final.chunks.filter((c) => c.used).length);
  assert.ok(summary.growth.length >= 1 && summary.memory.final > summary.memory.initial);
  assert.ok(summary.utilisation > 0 && summary.utilisation <= 1);
  assert.ok(summary.events.place >= summary.calls.malloc, 'the core\'s events were recorded');
  await assertReplayMatches(recording);

  const svg = fs.readFileSync(path.join(run.dir, 'memory.svg'), 'utf8');
  assert.match(svg, /^<svg /);
  for (const line of ['live', 'heap', 'memory']) {
    assert.match(svg, new RegExp(`<polyline class="${line}"`));
  }
  assert.equal(svg.match(/class="growth"/g).length, summary.growth.length, 'each growth marked');
});

test('tree recorded: it writes into the current directory; its trace replays to the same heap',
  async () => {
  const run = tagalloc(['record', '--out', 'tree-trace.rep', built('tree.wasm'), '7', 'tree.json']);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /^\d+ nodes, \d+ bytes of text, checksum \d+\n\d+ nodes in all\n$/);
  const written = fs.readFileSync(path.join(run.dir, 'tree.json'), 'utf8');
  assert.equal(written.length, Number(run.stdout.match(/nodes, (\d+) bytes/)[1]));
  assert.ok(written.startsWith('{"name":"node-0","n":0.5,"children":['));
  const recording = readRecording(run.dir, 'tree-trace');
  const frees = recording.trace.kinds.filter((k) => k === 1).length; // free(NULL) is left out
  assert.ok(frees > 0 && frees <= recording.summary.calls.free);
  assert.ok(recording.trace.kinds.includes(2), 'the text grows by realloc, written as r');
  await assertReplayMatches(recording);
});

test('every allocation call is recorded as the trace format says; errno is as the program expects',
  () => {
  const run = tagalloc(['record', built('calls.wasm')]);
  assert.equal(run.status, 0, run.stdout + run.stderr);
  assert.equal(run.stdout, 'calls: ok\n', 'results, alignment and errno as the drop-in gives them');
  const { summary } = readRecording(run.dir, 'calls');
  const ops = fs.readFileSync(path.join(run.dir, 'calls.rep'), 'utf8').trim().split('\n').slice(4);
  const expected = ['a 0 10', 'a 1 24', 'r 1 100', 'a 2 5', 'r 2 0', 'a 3 32', 'a 4 40', 'a 5 8',
    'f 0', 'f 1', 'f 2', 'f 3', 'f 4', 'f 5'];
  const tail = ops.slice(-expected.length);
  const first = Number(tail[0].split(' ')[1]); // libc may allocate before main: ids from there
  assert.deepEqual(tail.map((op) => op.replace(/^(\w) (\d+)/, (_, k, id) => `${k} ${id - first}`)),
    expected);
  // malloc, calloc and aligned_alloc each also failed once (too large, overflow, alignment 3),
  // free(NULL) is a call but not an op; posix_memalign and memalign are aligned allocations
  assert.ok(summary.calls.malloc >= 2 && summary.calls.calloc >= 2 && summary.calls.realloc >= 3);
  assert.ok(summary.calls.aligned_alloc >= 4 && summary.calls.free >= 7);
  assert.equal(summary.calls.failed, 3);
  assert.equal(summary.trace.ops, ops.length);
});

test('a program that traps exits 134, and its trace up to the trap is still written', () => {
  const run = tagalloc(['record', built('double-free.wasm')]);
  assert.equal(run.status, 134);
  assert.match(run.stderr, /^tagalloc: .*double-free\.wasm trapped: unreachable$/m);
  const { summary, trace } = readRecording(run.dir, 'double-free');
  assert.equal(summary.exitCode, 134);
  assert.equal(summary.trapped, 'unreachable');
  assert.equal(summary.final.chunks, null, 'no chunk list after a trap');
  assert.deepEqual([...trace.kinds.slice(-2)], [0, 1], 'the block allocated and freed once');
});

test('compare replays a recorded trace under all eight combinations, as text and as JSON', () => {
  const recorded = tagalloc(['record', '--quiet', built('tree.wasm'), '6']);
  assert.equal(recorded.status, 0, recorded.stderr);
  assert.equal(recorded.stderr, '');
  const summary = JSON.parse(fs.readFileSync(path.join(recorded.dir, 'tree.json'), 'utf8'));
  const json = tagalloc(['compare', '--json', '--runs', '2', 'tree.rep'], { dir: recorded.dir });
  assert.equal(json.status, 0, json.stderr);
  assert.equal(json.stderr, '', 'no progress line unless asked for, off a terminal');
  const { rows } = JSON.parse(json.stdout);
  assert.equal(rows.length, 8);
  assert.deepEqual(new Set(rows.map((r) => `${r.policy} ${r.coalescing}`)).size, 8);
  for (const row of rows) {
    assert.equal(row.check, true);
    assert.equal(row.failed, 0);
    assert.equal(row.ms.runs, 2);
    assert.ok(row.ms.min <= row.ms.median && row.ms.median <= row.ms.max);
  }
  const segregated = rows.find((r) => r.policy === 'segregated' && r.coalescing === 'immediate');
  assert.equal(segregated.peakHeap, summary.peakHeap);
  const text = tagalloc(['compare', '--progress', '--runs', '1', 'tree.rep'],
    { dir: recorded.dir });
  assert.equal(text.status, 0, text.stderr);
  const measuring = text.stderr.match(/^tagalloc: [a-z-]+ (immediate|deferred): measuring$/gm);
  assert.equal(measuring.length, 8, 'a progress line for each combination');
  assert.match(text.stdout, /^policy +coalescing +utilisation +peak heap +fragmentation/m);
  assert.equal(text.stdout.match(/^(first|next|best)-fit|^segregated/gm).length, 8);
});

test('a module built without the recording library is refused with a sentence', () => {
  const run = tagalloc(['record', built('wordfreq.plain.wasm')]);
  assert.equal(run.status, 1);
  assert.match(run.stderr,
    /was not built with the recording library: it does not import env\.tagalloc_record/);
  assert.equal(run.stdout, '', 'the program did not run');
  assert.ok(!fs.existsSync(path.join(run.dir, 'wordfreq.plain.rep')));
});

test('a missing file, a file that is not wasm and an unknown command fail with a sentence', () => {
  const missing = tagalloc(['record', 'nowhere.wasm']);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /^tagalloc: nowhere\.wasm: no such file \(the program\)/);
  const trace = tagalloc(['compare', 'nowhere.rep']);
  assert.equal(trace.status, 1);
  assert.match(trace.stderr, /nowhere\.rep: no such file \(the trace\)/);
  const dir = freshDir();
  fs.writeFileSync(path.join(dir, 'text.wasm'), 'not wasm');
  const notWasm = tagalloc(['record', 'text.wasm'], { dir });
  assert.equal(notWasm.status, 1);
  assert.match(notWasm.stderr, /text\.wasm is not a WebAssembly module/);
  const unknown = tagalloc(['replay']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /unknown command replay\nusage:/);
});

test('a malformed trace is refused with its line number', () => {
  const dir = freshDir();
  const cases = [
    ['a 0 16\na 1 32\nx 1\nf 0\n',
      /bad\.rep:7: expected "a id size", "r id size" or "f id", not "x 1"/],
    ['a 0 16\nf 1\nf 0\nf 0\n', /bad\.rep:6: frees id 1, which is not live/],
    ['a 0 16\na 0 16\nf 0\nf 0\n', /bad\.rep:6: allocates id 0, which is still live/],
    ['a 0 16\na 9 32\nf 0\nf 9\n', /bad\.rep:6: id 9 is outside 0\.\.1/],
    ['a 0 16\nf 0\n', /bad\.rep:7: the header promises 4 operations, the file has 2/],
  ];
  for (const [ops, message] of cases) {
    fs.writeFileSync(path.join(dir, 'bad.rep'), `0\n2\n4\n1\n${ops}`);
    const run = tagalloc(['compare', 'bad.rep'], { dir });
    assert.equal(run.status, 1, ops);
    assert.match(run.stderr, message);
    assert.equal(run.stdout, '');
  }
  fs.writeFileSync(path.join(dir, 'bad.rep'), '100\nids\n');
  const header = tagalloc(['compare', 'bad.rep'], { dir });
  assert.equal(header.status, 1);
  assert.match(header.stderr, /bad\.rep:2: expected header number 2 of 4/);
});

test('the Emscripten recording library hands every allocation to Module.tagallocRecord',
  async () => {
  const glue = built('wordfreq.emscripten.cjs');
  const module = new WebAssembly.Module(fs.readFileSync(glue.replace(/\.cjs$/, '.wasm')));
  const records = [];
  let stdout = '';
  let status = null;
  await new Promise((resolve, reject) => {
    createRequire(import.meta.url)(glue)({
      instantiateWasm(imports, receive) {
        const instance = new WebAssembly.Instance(module, imports);
        receive(instance, module);
        return instance.exports;
      },
      tagallocRecord: (words, data) => records.push({ call: words[0], words, data }),
      print: (line) => { stdout += `${line}\n`; },
      printErr: () => {},
      quit(code) {
        status = code;
        resolve();
      },
    }).catch(reject);
  });
  assert.equal(status, 0);
  const plain = runPlain(built('wordfreq.plain.wasm'), []);
  assert.equal(stdout, plain.stdout, 'the same program prints the same on Emscripten');
  const mallocs = records.filter((r) => r.call === 0);
  const frees = records.filter((r) => r.call === 4 && r.words[1] !== 0);
  assert.ok(mallocs.length > 1000 && frees.length > 1000);
  const chunks = records.filter((r) => r.call === 5);
  assert.ok(chunks.length >= 1, 'the chunk list at exit arrived');
  const total = chunks[0].words[2];
  assert.equal(chunks.reduce((n, r) => n + r.words[1], 0), total);
  assert.equal(chunks.at(-1).data.length, 3 * chunks.at(-1).words[1]);
});

test('the recording library defines every public name, as the -mt library does', () => {
  const names = [...fs.readFileSync(path.join(root, 'src', 'unlocked.h'), 'utf8')
    .matchAll(/^#define (tagalloc_\w+) tagalloc_unlocked_\w+$/gm)].map((m) => m[1]);
  assert.ok(names.length >= 20);
  const record = fs.readFileSync(path.join(root, 'src', 'record.c'), 'utf8');
  const calls = fs.readFileSync(path.join(root, 'src', 'unlocked_calls.h'), 'utf8');
  assert.match(record, /^#include "unlocked_calls.h"$/m);
  for (const name of names) {
    const short = name.slice('tagalloc_'.length);
    assert.match(calls, new RegExp(`^UNLOCKED\\(${short}\\)$`, 'm'), name);
    assert.match(record, new RegExp(`^TAGALLOC_EXPORT\\(${name}\\)`, 'm'), name);
  }
});

test('the npm package holds every file the command line loads', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  assert.equal(pkg.bin.tagalloc, 'bin/tagalloc.js');
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    for (const [, spec] of source.matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)'/g)) {
      visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    }
  };
  visit('bin/tagalloc.js');
  assert.ok(seen.has('cli/record.js') && seen.has('wasm/index.js'));
  for (const file of [...seen, 'wasm/tagalloc.wasm']) assert.ok(pkg.files.includes(file), file);
  const bin = fs.readFileSync(path.join(root, 'bin', 'tagalloc.js'), 'utf8');
  assert.match(bin, /^#!\/usr\/bin\/env node\n/);
});
