// The JavaScript package: every method on each policy, and random operations checked against a
// model of live blocks, with walk(), stats() and check() agreeing after each step.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { createHeap, loadModule, TagallocError } from '../wasm/index.js';
import { VARIANTS, POLICIES, COALESCING, fresh } from './helpers/heap.js';
import { Model, random, seedFor } from './helpers/model.js';

for (const { name, debug } of VARIANTS) {
  for (const policy of POLICIES) {
    test(`every method works under ${policy} (${name})`, async () => {
      const heap = await fresh({ debug, policy });
      const model = new Model(heap);
      assert.equal(heap.policy, policy);
      assert.equal(heap.coalescing, 'immediate');
      const a = model.malloc(100);
      const b = model.calloc(10, 12);
      const c = model.alignedAlloc(256, 40);
      const d = model.realloc(model.malloc(8), 300);
      assert.ok(heap.usableSize(a) >= 100);
      assert.ok(heap.rover > 0);
      const walk = heap.walk();
      assert.ok([a, b, c, d].every((p) => walk.some((chunk) => chunk.payload === p && chunk.used)));
      const stats = heap.stats();
      assert.equal(stats.badFrees, 0);
      assert.ok(stats.peakInUse >= stats.inUse && stats.peakHeap >= stats.heapSize);
      model.agreesWithWalk();
      for (const p of [a, b, c, d]) model.free(p);
      heap.coalescing = 'deferred';
      assert.equal(heap.coalescing, 'deferred');
      heap.coalescing = 'immediate';
      assert.deepEqual(heap.walk().map((chunk) => chunk.used), [false], 'one free chunk is left');
      assert.equal(heap.lastError, 'NONE');
      heap.reset();
      assert.deepEqual(heap.walk(), []);
      assert.equal(heap.policy, policy, 'reset keeps the policy');
    });
  }

  test(`a realloc that moves counts both blocks in the peak (${name})`, async () => {
    const heap = await fresh({ debug, policy: 'first-fit' }); // blocks in the order asked for
    const chunk = (p) => heap.usableSize(p) + 4; // a used chunk: its head and its usable bytes
    const a = heap.malloc(100);
    const b = heap.malloc(100); // right after a: a cannot grow in place
    const before = heap.stats().inUse;
    assert.equal(before, chunk(a) + chunk(b));
    const moved = heap.realloc(a, 1000);
    assert.notEqual(moved, a, 'the block moved');
    assert.equal(heap.stats().peakInUse, before + chunk(moved), 'old and new block at once');
    assert.equal(heap.stats().inUse, chunk(b) + chunk(moved));
  });

  describe(`random operations against a model (${name})`, () => {
    for (const policy of POLICIES) {
      for (const coalescing of COALESCING) {
        test(`${policy} with ${coalescing} coalescing agrees with the model`, async (t) => {
          const seed = seedFor(t);
          const next = random(seed);
          const heap = await fresh({ debug, policy, coalescing });
          const model = new Model(heap);
          const slots = new Array(64).fill(0);
          const size = () => (next() < 0.9 ? Math.floor(next() * 200) : Math.floor(next() * 9000));
          for (let step = 0; step < 3000; step++) {
            const slot = Math.floor(next() * slots.length);
            const p = slots[slot];
            const choice = next();
            if (p && choice < 0.5) {
              model.free(p);
              slots[slot] = 0;
            } else if (p) {
              slots[slot] = model.realloc(p, size());
            } else if (choice < 0.1) {
              slots[slot] = model.alignedAlloc(2 ** (4 + Math.floor(next() * 8)), size());
            } else if (choice < 0.2) {
              slots[slot] = model.calloc(1 + Math.floor(next() * 8), Math.floor(next() * 40));
            } else {
              slots[slot] = model.malloc(size());
            }
            if (step % 25 === 0) model.agreesWithWalk();
          }
          model.agreesWithWalk();
        });
      }
    }
  });
}

test('the module is compiled once and each heap is its own instance', async () => {
  const module = await loadModule();
  assert.equal(module, await loadModule());
  const one = await createHeap({ module });
  const two = await createHeap({ module });
  one.malloc(100);
  assert.equal(two.walk().length, 0);
  assert.notEqual(one.memory, two.memory);
});

test('sizes JavaScript cannot pass to wasm32 are refused, not wrapped', async () => {
  const heap = await fresh();
  assert.equal(heap.malloc(2 ** 32 + 16), 0, 'not malloc(16)');
  assert.equal(heap.lastError, 'OUT_OF_MEMORY');
  assert.equal(heap.malloc(16) > 0, true);
  assert.equal(heap.calloc(2 ** 16, 2 ** 16), 0, 'the product overflows 32 bits');
  assert.equal(heap.lastError, 'OUT_OF_MEMORY');
  assert.equal(heap.calloc(2 ** 40, 1), 0);
  const block = heap.malloc(8);
  assert.equal(heap.realloc(block, 2 ** 33), 0);
  assert.equal(heap.lastError, 'OUT_OF_MEMORY');
  assert.equal(heap.usableSize(block) >= 8, true, 'the block is untouched');
  assert.equal(heap.alignedAlloc(64, 2 ** 32), 0);
  assert.equal(heap.lastError, 'OUT_OF_MEMORY');
  assert.throws(() => heap.malloc(-1), TypeError);
  assert.throws(() => heap.malloc(1.5), TypeError);
  assert.throws(() => heap.free('16'), TypeError);
});

test('an unknown policy or coalescing mode is refused with the names that exist', async () => {
  const heap = await fresh();
  assert.throws(() => { heap.policy = 'worst-fit'; }, /first-fit, next-fit, best-fit, segregated/);
  assert.throws(() => { heap.coalescing = 'never'; }, /immediate, deferred/);
  assert.equal(heap.policy, 'segregated');
});

test('maxMemory caps growth and malloc then returns 0', async () => {
  const heap = await fresh({ maxMemory: 1 << 20 });
  const blocks = [];
  for (let p; (p = heap.malloc(50000)) !== 0;) blocks.push(p);
  assert.ok(blocks.length >= 10 && blocks.length < 21, `${blocks.length} blocks fit in 1 MiB`);
  assert.ok(heap.memory.buffer.byteLength <= 1 << 20);
  assert.equal(heap.lastError, 'OUT_OF_MEMORY');
});

test('events tell where a request was placed and which chunks the search probed', async () => {
  const heap = await fresh({ policy: 'best-fit' });
  const a = heap.malloc(60); heap.malloc(12);
  const b = heap.malloc(28); heap.malloc(12);
  heap.free(a); heap.free(b);
  const p = heap.malloc(20);
  const events = heap.events();
  assert.deepEqual(events.filter((e) => e.kind === 'probe').map((e) => e.payload), [a, b]);
  assert.deepEqual(events.find((e) => e.kind === 'place'), { kind: 'place', payload: p, size: 32 });
  heap.free(p);
  assert.deepEqual(heap.events(), [{ kind: 'free', payload: p, size: 32 }]);
});

test('freeIndex lists each size class with its chunks newest first, then the victim and top',
  async () => {
    for (const { debug } of VARIANTS) {
      const heap = await fresh({ debug });                 // segregated fit
      const small = []; const large = [];
      for (let i = 0; i < 5; i++) { small.push(heap.malloc(24)); large.push(heap.malloc(100)); }
      heap.malloc(24);                 // [s0][free][24][L4][s4][L3][s3][L2][s2][L1][s1][L0]
      heap.free(small[1]); heap.free(small[3]); // 32-byte chunks, apart: small[3] is newer
      heap.free(large[4]);                      // one 112-byte chunk, between used chunks
      const index = heap.freeIndex();
      const classOf = (request) => heap.sizeClass(request);
      assert.deepEqual(classOf(24), { bin: 2, low: 32, high: 32 });
      assert.deepEqual(classOf(300), { bin: 19, low: 304, high: 304 }); // one size below 512 B,
      assert.deepEqual(classOf(600), { bin: 38, low: 608, high: 608 }); // 16 B wide to 1 KiB,
      assert.deepEqual(classOf(1500), { bin: 79, low: 1504, high: 1520 }); // 32 B to 2 KiB
      assert.deepEqual(index.lists.map((l) => [l.bin, l.low, l.high, l.marked, l.chunks]), [
        [2, 32, 32, true, [{ payload: small[3], size: 32 }, { payload: small[1], size: 32 }]],
        [7, 112, 112, true, [{ payload: large[4], size: 112 }]],
      ]);
      assert.equal(index.policy, 'segregated');
      assert.ok(index.victim === null || index.victim.size >= 16);
      const walk = heap.walk();
      const last = walk[walk.length - 1];
      assert.deepEqual(index.top, last.used ? null : { payload: last.payload, size: last.size });
      const free = walk.filter((c) => !c.used).length;
      const listed = index.lists.reduce((n, l) => n + l.chunks.length, 0);
      assert.equal(listed + (index.victim ? 1 : 0) + (index.top ? 1 : 0), free);
    }
  });

test('under first fit freeIndex is one list in address order, and the rover', async () => {
  const heap = await fresh({ policy: 'first-fit' });
  const p = [];
  for (let i = 0; i < 6; i++) p.push(heap.malloc(40 + 16 * i));
  heap.free(p[3]); heap.free(p[1]);
  const index = heap.freeIndex();
  assert.equal(index.lists.length, 1);
  const [list] = index.lists;
  assert.equal(list.bin, 0);
  assert.equal(list.marked, false);
  const free = heap.walk().filter((c) => !c.used).map(({ payload, size }) => ({ payload, size }));
  assert.deepEqual(list.chunks, free);                     // address order, the last chunk too
  assert.equal(list.chunks[0].payload, p[1]);
  assert.equal(index.victim, null);
  assert.equal(index.top, null);
  assert.equal(index.rover, heap.rover);
  assert.deepEqual(heap.sizeClass(24).bin, 0);
});

test('freeIndex pages through more free chunks than one scratch page holds', async () => {
  const heap = await fresh({ policy: 'best-fit' });
  const p = [];
  for (let i = 0; i < 700; i++) p.push(heap.malloc(8));
  for (let i = 0; i < 700; i += 2) heap.free(p[i]);
  const [list] = heap.freeIndex().lists;
  assert.deepEqual(list.chunks.map((c) => c.payload).slice(0, 350),
    p.filter((_, i) => i % 2 === 0));
});

test('layout places the heap above static data and the stack', async () => {
  const heap = await fresh();
  heap.malloc(1000);
  const layout = heap.layout();
  assert.ok(layout.globalBase < layout.dataEnd && layout.dataEnd <= layout.heapBase);
  assert.ok(layout.heapBase <= layout.heapStart && layout.heapStart < layout.heapEnd);
  assert.ok(layout.heapEnd <= layout.memorySize);
  assert.equal(layout.memorySize % layout.pageBytes, 0);
});

test('a module without the exports the package needs is named in one sentence', async () => {
  const empty = new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
  await assert.rejects(createHeap({ module: empty }), /lacks the exports memory, malloc, free/);
});

test('misuse throws TagallocError and the heap stays usable', async () => {
  const heap = await fresh();
  const p = heap.malloc(40);
  heap.free(p);
  assert.throws(() => heap.free(p), (e) => e instanceof TagallocError && e.code === 'DOUBLE_FREE' &&
    e.pointer === p);
  assert.notEqual(heap.malloc(40), 0);
});

test('alignedAlloc given a bigint throws a TypeError that says to pass a number', async () => {
  const heap = await fresh();
  assert.throws(() => heap.alignedAlloc(16n, 16),
    (e) => e instanceof TypeError && /alignment as a number/.test(e.message) &&
      !/Cannot mix BigInt/.test(e.message));
  assert.throws(() => heap.malloc(16n), (e) => e instanceof TypeError && /bigint/.test(e.message));
  assert.throws(() => heap.alignedAlloc(24, 16), (e) => e instanceof TagallocError &&
    e.code === 'BAD_ALIGNMENT');
});

test('bytes checks both arguments and stays inside linear memory', async () => {
  const heap = await fresh();
  const p = heap.malloc(24);
  assert.equal(heap.bytes(p, 24).length, 24);
  assert.equal(heap.bytes(p, 0).length, 0);
  for (const [payload, n] of [[NaN, 4], [p, undefined], [p, NaN], [p, -1], [p, 1.5], ['8', 4],
    [-4, 4], [p, 4n]]) {
    assert.throws(() => heap.bytes(payload, n), TypeError, `bytes(${String(payload)}, ${n})`);
  }
  const end = heap.memory.buffer.byteLength;
  assert.throws(() => heap.bytes(end - 2, 4), RangeError);
  assert.throws(() => heap.bytes(2 ** 32 - 1, 1), RangeError);
  assert.throws(() => heap.bytes(2 ** 32, 1), TypeError); // not a wasm32 address
});

test('a request of 2 ** 32 bytes or more returns 0 and says OUT_OF_MEMORY', async () => {
  const heap = await fresh();
  for (const request of [2 ** 32, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
    heap.malloc(8); // a success between each, so that lastError is NONE before
    assert.equal(heap.lastError, 'NONE');
    assert.equal(heap.malloc(request), 0);
    assert.equal(heap.lastError, 'OUT_OF_MEMORY');
  }
});

test('a Heap comes only from createHeap, which takes an options object or nothing', async () => {
  const { Heap } = await import('../wasm/index.js');
  assert.throws(() => new Heap(), (e) => e instanceof TypeError && /createHeap/.test(e.message));
  for (const bad of ['string', 42, null, [], true]) {
    await assert.rejects(createHeap(bad), TypeError, `createHeap(${JSON.stringify(bad)})`);
  }
  await assert.rejects(createHeap({ polcy: 'best-fit' }), /no option polcy/);
  await assert.rejects(createHeap({ module: 'tagalloc.wasm' }), TypeError);
  assert.equal((await createHeap()).policy, 'segregated');
  // The types say the same: no public constructor, so `new Heap()` does not type-check.
  const types = readFileSync(new URL('../wasm/index.d.ts', import.meta.url), 'utf8');
  assert.match(types, /export class Heap \{\s+private constructor\(\);/);
  assert.match(types, /export class TagallocError extends Error \{\s+constructor\(/);
});
