// Differential: one seeded random operation sequence runs through tagalloc.wasm in node and through
// the native build (build/native/replay-ops, which reads it on stdin); after every operation both
// give the same result and the same chunk list, chunk for chunk, as offsets from the heap's start.
// Both builds align to 16 bytes, and replay-ops starts its heap at the same address modulo 64 KiB
// as the module's __heap_base, so even aligned_alloc's gaps agree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { createHeap, TagallocError } from '../wasm/index.js';
import { POLICIES, COALESCING } from './helpers/heap.js';
import { random, seedFor } from './helpers/model.js';

const REPLAY = new URL('../build/native/replay-ops', import.meta.url).pathname;
const OPERATIONS = 1500;
const SIZE_MAX = '18446744073709551615'; // the native driver's "no limit"

// A random sequence as replay-ops lines. Block ids name the same block on both sides.
function sequence(rand, policy, coalescing, heapBase) {
  const lines = [`base ${heapBase}`, `policy ${POLICIES.indexOf(policy)}`,
    `coalescing ${COALESCING.indexOf(coalescing)}`];
  const live = [];
  const freed = [];
  let nextId = 0;
  const int = (n) => Math.floor(rand() * n);
  const request = () => {
    const r = rand();
    return int(r < 0.6 ? 64 : r < 0.9 ? 1024 : r < 0.99 ? 16384 : 100000);
  };
  const pick = (list) => list.splice(int(list.length), 1)[0];
  for (let i = 0; i < OPERATIONS; i++) {
    const r = rand();
    if (r < 0.4 && live.length < 300 || live.length === 0) {
      const id = nextId++ % 4096;
      const kind = rand();
      if (kind < 0.1) lines.push(`calloc ${id} ${1 + int(8)} ${int(256)}`);
      else if (kind < 0.2) lines.push(`aligned ${id} ${2 ** int(13)} ${request()}`);
      else lines.push(`malloc ${id} ${request()}`);
      live.push(id);
    } else if (r < 0.7) {
      const id = pick(live);
      lines.push(`free ${id}`);
      freed.push(id);
    } else if (r < 0.85) {
      lines.push(`realloc ${live[int(live.length)]} ${request()}`);
    } else if (r < 0.95) {
      const bad = rand();
      if (bad < 0.6) lines.push(`badin ${live[int(live.length)]} ${int(4096)}`);
      else if (bad < 0.8) lines.push(`badout ${int(64)}`);
      else lines.push(`refree ${pick(live)}`);
    } else if (r < 0.98) {
      lines.push(`limit ${rand() < 0.5 ? SIZE_MAX : 65536 + int(1 << 20)}`);
    } else {
      lines.push('limit ' + SIZE_MAX);
    }
  }
  for (const id of live) lines.push(`free ${id}`);
  lines.push(`coalescing 0`);
  return lines;
}

// The code a refused call throws, or 'NONE'.
function refused(call) {
  try {
    call();
    return 'NONE';
  } catch (error) {
    if (!(error instanceof TagallocError)) throw error;
    return error.code;
  }
}

// The same lines through the JavaScript package, in replay-ops' output format.
function replayInWasm(heap, lines) {
  const payloads = new Map();
  const heapBase = heap.layout().heapBase;
  const start = () => heap.stats().heapStart;
  const offset = (p) => (p ? String(p - start()) : 'null');
  return lines.map((line) => {
    const [op, ...args] = line.split(' ');
    const [a, b, c] = args.map(Number);
    let result;
    switch (op) {
      case 'base': result = 'ok'; break;
      case 'policy': {
        const was = POLICIES.indexOf(heap.policy);
        heap.policy = POLICIES[a];
        result = was;
        break;
      }
      case 'coalescing': {
        const was = COALESCING.indexOf(heap.coalescing);
        heap.coalescing = COALESCING[a];
        result = was;
        break;
      }
      case 'limit':
        heap.maxMemory = args[0] === SIZE_MAX ? Infinity : heapBase + a;
        result = 'ok';
        break;
      case 'malloc': payloads.set(a, heap.malloc(b)); result = offset(payloads.get(a)); break;
      case 'calloc': payloads.set(a, heap.calloc(b, c)); result = offset(payloads.get(a)); break;
      case 'aligned':
        payloads.set(a, heap.alignedAlloc(b, c));
        result = offset(payloads.get(a));
        break;
      case 'realloc': {
        const moved = heap.realloc(payloads.get(a) ?? 0, b);
        if (moved) payloads.set(a, moved);
        result = offset(moved);
        break;
      }
      case 'free': heap.free(payloads.get(a) ?? 0); payloads.delete(a); result = 'ok'; break;
      case 'badin': {
        const p = payloads.get(a);
        const size = heap.usableSize(p) + 4;
        const inside = size > 16 ? 16 * (1 + b % (size / 16 - 1)) : 1 + b % 15; // as replay-ops
        result = refused(() => heap.free(p + inside));
        break;
      }
      case 'badout': {
        const { heapStart, heapSize } = heap.stats();
        result = refused(() => heap.free(heapStart + heapSize + 16 * a));
        break;
      }
      case 'refree': {
        const p = payloads.get(a);
        payloads.delete(a);
        heap.free(p);
        result = refused(() => heap.free(p));
        break;
      }
      default: throw new Error(`unknown operation ${op}`);
    }
    const check = heap.check();
    if (!check.ok) return `${result} | check ${check.invariant}`;
    const s = start();
    const chunks = heap.walk().map((ch) => ` ${ch.payload - s}:${ch.size}:${ch.used ? 1 : 0}`);
    return `${result} |${chunks.join('')}`;
  });
}

// One seeded sequence through both builds; fails at the first operation where they differ.
async function compare(policy, coalescing, seed) {
  assert.ok(existsSync(REPLAY), `${REPLAY} is missing: run bash build.sh native_tests`);
  const heap = await createHeap();
  const lines = sequence(random(seed), policy, coalescing, heap.layout().heapBase % 65536);
  const wasm = replayInWasm(heap, lines);
  const run = spawnSync(REPLAY, { input: lines.join('\n') + '\n', encoding: 'utf8',
    maxBuffer: 1 << 28, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
  assert.equal(run.status, 0, `replay-ops failed: ${run.stderr}${run.stdout.slice(-2000)}`);
  const native = run.stdout.trimEnd().split('\n');
  assert.equal(native.length, lines.length, 'replay-ops answered every line');
  for (let i = 0; i < lines.length; i++) {
    if (wasm[i] === native[i]) continue;
    assert.fail(`after operation ${i} "${lines[i]}" (seed ${seed}):\n  wasm:   ` +
      `${wasm[i].slice(0, 600)}\n  native: ${native[i].slice(0, 600)}`);
  }
  assert.match(native.at(-1), /^\d \| 4:\d+:0$/, 'everything freed: one free chunk left');
}

describe('the wasm module and the native build agree chunk for chunk', () => {
  for (const policy of POLICIES) {
    for (const coalescing of COALESCING) {
      test(`the same ${OPERATIONS} random operations under ${policy} with ${coalescing} ` +
        'coalescing give the same chunk list', (t) => compare(policy, coalescing, seedFor(t)));
    }
  }
  // A realloc that grew into the victim left the rest on its bin in the module and kept it the
  // victim in the fast build, so a later malloc took a different chunk (heap.c, resize_in_place).
  test('a realloc into the victim leaves the same heap in both builds (seed 864722614)',
    () => compare('segregated', 'deferred', 864722614));
});
