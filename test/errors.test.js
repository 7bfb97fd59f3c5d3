// The error model through the JavaScript package, on tagalloc.wasm and tagalloc.debug.wasm: a bad
// pointer throws TagallocError with its .code and .pointer, is counted in stats().badFrees, and
// leaves the walk and every heap byte as they were; the heap stays usable. Impossible sizes
// return 0 and never wrap; a heap capped by maxMemory fills up, then empties to one free chunk.
// wasm32: 16-byte alignment, 4-byte head tags; malloc(n) takes a chunk of align16(n + 4) bytes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHeap, TagallocError } from '../wasm/index.js';
import { VARIANTS, POLICIES, COALESCING, fresh } from './helpers/heap.js';
import { Model, random } from './helpers/model.js';

const U32 = 2 ** 32;
const REQUEST_MAX = 0xffff0000 - 4 - 16; // heap.h: CHUNK_SIZE_MAX - TAG_BYTES - ALIGN

// Every byte from the heap's start to its end tag, the walk and the stats. Over a broken head
// only the bytes can be read (walk and stats follow the heads): pass the range taken before.
function snapshot(heap, range) {
  if (range) return { bytes: heap.bytes(range.heapStart, range.heapSize).slice() };
  const stats = heap.stats();
  return { stats, walk: heap.walk(), bytes: heap.bytes(stats.heapStart, stats.heapSize).slice() };
}

function fillBlock(heap, p, fill) {
  heap.bytes(p, heap.usableSize(p)).fill(fill); // every usable byte: no stale tag survives inside
  return p;
}

const CALLS = {
  free: (heap, p) => heap.free(p),
  realloc: (heap, p) => heap.realloc(p, 100),
  usableSize: (heap, p) => heap.usableSize(p),
};

// free, realloc and usableSize each throw TagallocError(code, pointer), count one bad free and
// change no byte; with `range` (a broken head) only the bytes are compared.
function expectRefused(heap, pointer, code, range) {
  for (const [name, call] of Object.entries(CALLS)) {
    const before = snapshot(heap, range);
    assert.throws(() => call(heap, pointer), (error) => {
      assert.ok(error instanceof TagallocError, `${name}(${pointer}) threw ${error}`);
      assert.equal(error.code, code, `${name}(${pointer}): ${error.message}`);
      assert.equal(error.pointer, pointer);
      return true;
    });
    const after = snapshot(heap, range);
    assert.deepEqual(after.bytes, before.bytes, `${name}(${pointer}) changed heap bytes`);
    if (range) continue;
    assert.deepEqual(after.walk, before.walk, `${name}(${pointer}) changed the walk`);
    assert.deepEqual(after.stats, { ...before.stats, badFrees: before.stats.badFrees + 1 },
      `${name}(${pointer}) was counted once and changed no other stat`);
    assert.equal(heap.lastError, code);
    assert.deepEqual(heap.check(), { ok: true });
  }
}

// The heap still serves and takes back a block.
function stillUsable(heap) {
  const p = heap.malloc(40);
  assert.ok(p > 0, 'malloc works after the error');
  heap.free(p);
  assert.equal(heap.lastError, 'NONE');
  assert.deepEqual(heap.check(), { ok: true });
}

for (const { name, debug } of VARIANTS) {
  describe(`bad pointers (${name})`, () => {
    test('pointers outside the heap throw INVALID_POINTER and change nothing', async () => {
      const heap = await createHeap({ debug });
      fillBlock(heap, heap.malloc(40), 0xa1);
      const { heapStart, heapSize } = heap.stats();
      const outside = [16, heapStart - 12, heapStart + 4 - 32, heapStart + heapSize,
        heapStart + heapSize + 4096, U32 - 16];
      for (const p of outside) expectRefused(heap, p, 'INVALID_POINTER');
      assert.equal(heap.stats().badFrees, 3 * outside.length);
      stillUsable(heap);
    });

    test('misaligned pointers throw INVALID_POINTER and change nothing', async () => {
      const heap = await createHeap({ debug });
      const a = fillBlock(heap, heap.malloc(100), 0x31);
      for (let off = 1; off < 16; off++) expectRefused(heap, a + off, 'INVALID_POINTER');
      expectRefused(heap, a - 1, 'INVALID_POINTER');
      stillUsable(heap);
      heap.free(a);
    });

    test('pointers into a payload throw CORRUPTED_CHUNK and change nothing', async () => {
      const heap = await createHeap({ debug });
      const fills = [0x00, 0x01, 0x03, 0x7f, 0xff];
      const blocks = fills.map((fill) => fillBlock(heap, heap.malloc(200), fill));
      for (const p of blocks) {
        for (let off = 16; off < heap.usableSize(p); off += 16) {
          expectRefused(heap, p + off, 'CORRUPTED_CHUNK');
        }
      }
      stillUsable(heap);
      for (const p of blocks) heap.free(p);
      assert.deepEqual(heap.walk().map((c) => c.used), [false]);
    });

    test('a pointer at a free chunk the heap never returned throws DOUBLE_FREE', async () => {
      const heap = await createHeap({ debug, policy: 'first-fit' }); // remainders lie after
      const returned = [heap.malloc(40), heap.malloc(400), heap.malloc(40)];
      heap.free(returned[1]);
      returned.push(heap.malloc(100)); // splits the hole: its free remainder was never returned
      const never = heap.walk().filter((c) => !c.used && !returned.includes(c.payload));
      assert.ok(never.length > 0);
      for (const { payload } of never) expectRefused(heap, payload, 'DOUBLE_FREE');
      stillUsable(heap);
    });

    for (const policy of POLICIES) {
      for (const coalescing of COALESCING) {
        test(`a double free throws under ${policy} with ${coalescing} coalescing, merged or not`,
          async () => {
            // [a][victim][b][guard]: free a or b first, so the victim merges with it, or neither.
            // Merged into the chunk before it, its stale head still reads free.
            for (const first of [[], ['a'], ['b']]) {
              const heap = await createHeap({ debug, policy, coalescing });
              const blocks = {};
              for (const [key, fill] of [['a', 1], ['victim', 2], ['b', 3], ['guard', 4]]) {
                blocks[key] = fillBlock(heap, heap.malloc(60), fill);
              }
              for (const key of first) heap.free(blocks[key]);
              heap.free(blocks.victim);
              expectRefused(heap, blocks.victim, 'DOUBLE_FREE');
              stillUsable(heap);
            }
          });
      }
    }

    // [u][v][w][guard], in address order under first fit; u writes `bytes` from `at` bytes past
    // its usable bytes: over v's head (or the end tag), or, from -4, over its own last word and
    // then v's head. Freeing u must throw CORRUPTED_CHUNK, and freeing v `vCode`.
    async function overflow({ bytes, at = 0, vFree = false, last = false,
      vCode = 'CORRUPTED_CHUNK' }) {
      const heap = await createHeap({ debug, policy: 'first-fit' });
      const u = fillBlock(heap, heap.malloc(60), 0x61);
      const v = last ? 0 : fillBlock(heap, heap.malloc(28), 0x62);
      if (!last) fillBlock(heap, heap.malloc(92), 0x63);
      if (!last) fillBlock(heap, heap.malloc(28), 0x64);
      if (vFree) heap.free(v);
      const range = heap.stats();
      const head = u + heap.usableSize(u);
      const saved = heap.bytes(head - 4, 8).slice();
      heap.bytes(head + at, bytes.length).set(bytes);
      if (!last) expectRefused(heap, v, vCode, range);
      expectRefused(heap, u, 'CORRUPTED_CHUNK', range);
      heap.bytes(head - 4, 8).set(saved);
      assert.deepEqual(heap.check(), { ok: true }, 'once the head is restored the heap is whole');
      assert.equal(heap.stats().badFrees, last ? 3 : 6);
      stillUsable(heap);
      assert.equal(heap.bytes(u, heap.usableSize(u)).every((b) => b === 0x61), true, 'u is intact');
      heap.free(u);
    }

    test('an off-by-one NUL byte over the next head is caught freeing either chunk', async () => {
      await overflow({ bytes: [0] });
      await overflow({ bytes: [0], last: true });
    });

    test('a word of any byte over the next head is caught freeing either chunk', async () => {
      for (const b of [0x00, 0x01, 0x02, 0x03, 0x10, 0x33, 0x41, 0x62, 0xff]) {
        await overflow({ bytes: [b, b, b, b] });
      }
    });

    test('an overflow over a free chunk\'s head is caught freeing either chunk', async () => {
      for (const b of [0x00, 0x01, 0x33, 0xff]) {
        await overflow({ bytes: [b, b, b, b], vFree: true });
      }
    });

    test('an overflow over the end tag is caught freeing the last chunk', async () => {
      for (const b of [0x00, 0x01, 0x03, 0x13, 0x33, 0x61, 0xff]) {
        await overflow({ bytes: [b, b, b, b], last: true });
      }
    });

    test('one byte that makes the next head read as free is caught freeing the overflowing chunk',
      async () => { // v then reads as a free chunk that fits: freeing it is a double free
        for (const b of [0x22, 0x62, 0x72]) await overflow({ bytes: [b], vCode: 'DOUBLE_FREE' });
      });

    test('one byte that clears only the next head\'s PREV_USED bit is caught freeing either chunk',
      async () => {
        await overflow({ bytes: [0x21] }); // v is 32 bytes: 0x21 keeps its size and used bit
      });

    test('an overflow that fakes a free predecessor is caught by the predecessor\'s head',
      async () => {
        await overflow({ bytes: [64, 0, 0, 0, 0x21], at: -4 }); // u's size as a foot, v's head
      });
  });

  describe(`sizes (${name})`, () => {
    test('requests within a chunk of 4 GiB return 0 with OUT_OF_MEMORY, never wrapping',
      async () => {
      const heap = await fresh({ debug });
      const a = fillBlock(heap, heap.malloc(124), 0x71); // [U128][end]: no free chunk to absorb
      const { heapStart, heapSize } = heap.stats();
      const wrap = 0xfffffffc - (heapStart + heapSize - 4); // a chunk this size ends at 2^32 - 4
      const sizes = [U32 - 1, U32 - 4, U32 - 16, U32 - 17, U32 - 65536, 0xffff0000, REQUEST_MAX + 1,
        REQUEST_MAX, wrap + 16, wrap - 4, wrap - 19];
      for (const n of sizes) {
        const before = snapshot(heap);
        // realloc grows a (the last chunk) in place: its edge lies 128 bytes (a's chunk) further
        for (const [call, request] of [[heap.malloc, n], [(m) => heap.calloc(1, m), n],
          [(m) => heap.calloc(m, 1), n], [(m) => heap.alignedAlloc(64, m), n],
          [(m) => heap.realloc(a, m), Math.min(n + 128, U32 - 1)]]) {
          assert.equal(call.call(heap, request), 0, `${call} with ${request}`);
          assert.equal(heap.lastError, 'OUT_OF_MEMORY', `${call} with ${request}`);
        }
        assert.deepEqual(snapshot(heap), before, `a request of ${n} bytes changed the heap`);
      }
      assert.equal(heap.usableSize(a), 124, 'a failed realloc left the block as it was');
      assert.ok(heap.bytes(a, 124).every((b) => b === 0x71), 'and its bytes');
      heap.free(a);
    });

    test('calloc products that overflow 32 bits return 0', async () => {
      const heap = await fresh({ debug });
      for (const [count, size] of [[65536, 65536], [65537, 65536], [2 ** 31, 2], [3, 0x55555556],
        [U32 - 1, U32 - 1], [0x10000001, 16]]) {
        assert.equal(heap.calloc(count, size), 0, `calloc(${count}, ${size})`);
        assert.equal(heap.lastError, 'OUT_OF_MEMORY');
      }
      assert.deepEqual(heap.walk(), []);
    });

    test('alignments that are zero, not a power of two or above 65536 throw BAD_ALIGNMENT',
      async () => {
      const heap = await fresh({ debug });
      heap.malloc(10);
      const before = snapshot(heap);
      for (const alignment of [0, 3, 24, 48, 1000, 65537, 131072, 2 ** 31, U32 - 1]) {
        assert.throws(() => heap.alignedAlloc(alignment, 16),
          (error) => error instanceof TagallocError && error.code === 'BAD_ALIGNMENT' &&
            error.pointer === alignment);
      }
      assert.deepEqual(snapshot(heap), before);
      stillUsable(heap);
    });
  });

  describe(`out of memory (${name})`, () => {
    for (const policy of POLICIES) {
      for (const coalescing of COALESCING) {
        test(`a heap capped by maxMemory fills up and empties to one free chunk under ${policy} ` +
          `with ${coalescing} coalescing`, async () => {
          const probe = await createHeap({ debug });
          const maxMemory = probe.layout().heapBase + (256 << 10); // a 256 KiB heap
          const heap = await fresh({ debug, policy, coalescing, maxMemory });
          const model = new Model(heap);
          const rand = random(POLICIES.indexOf(policy) * 2 + COALESCING.indexOf(coalescing) + 1);
          let failures = 0;
          while (failures < 32) { // 32 failures in a row: the heap is full for every size class
            const r = rand();
            const n = Math.floor(rand() * (r < 0.7 ? 128 : r < 0.95 ? 4096 : 65536));
            const p = r < 0.1 ? model.alignedAlloc(64 << Math.floor(rand() * 4), n)
              : model.malloc(n);
            if (p) {
              failures = 0;
            } else {
              failures++;
              assert.equal(heap.lastError, 'OUT_OF_MEMORY');
            }
          }
          const { heapSize } = heap.stats();
          assert.ok(heap.layout().heapEnd <= maxMemory, 'the heap stayed under maxMemory');
          assert.ok(heapSize > (200 << 10), `the heap filled up (${heapSize} bytes)`);
          assert.ok(heap.memory.buffer.byteLength <= Math.ceil(maxMemory / 65536) * 65536);
          model.agreesWithWalk();
          // A realloc that cannot grow fails and leaves its block untouched.
          const [victim] = model.live.keys();
          assert.equal(model.realloc(victim, 200 << 10), 0);
          const live = [...model.live.keys()];
          for (let i = live.length - 1; i > 0; i--) { // shuffled: frees merge on both sides
            const j = Math.floor(rand() * (i + 1));
            [live[i], live[j]] = [live[j], live[i]];
          }
          for (const p of live) model.free(p); // fill intact before each free; check after it
          heap.coalescing = 'immediate';
          assert.deepEqual(heap.walk().map((c) => c.used), [false], 'one free chunk is left');
          assert.equal(heap.stats().badFrees, 0);
        });
      }
    }
  });
}

describe('the debug build', () => {
  test('refuses a pointer into a payload that imitates a used chunk', async () => {
    const heap = await createHeap({ debug: true });
    const a = fillBlock(heap, heap.malloc(200), 0x11);
    const u32 = (p, value) => new DataView(heap.memory.buffer).setUint32(p, value, true);
    u32(a + 12, 64 | 3); // a used chunk of 64 bytes whose predecessor is used...
    u32(a + 12 + 64, 64 | 3); // ...followed by one that says so
    expectRefused(heap, a + 16, 'CORRUPTED_CHUNK');
    stillUsable(heap);
  });

  test('refuses a pointer behind a broken head instead of walking on', async () => {
    for (const b of [0x00, 0xff]) {
      const heap = await createHeap({ debug: true, policy: 'first-fit' }); // u, v, w in order
      const u = fillBlock(heap, heap.malloc(60), 0x61);
      heap.malloc(28);
      const w = fillBlock(heap, heap.malloc(28), 0x63);
      const range = heap.stats();
      const head = u + heap.usableSize(u);
      const saved = heap.bytes(head, 4).slice();
      heap.bytes(head, 4).fill(b); // v's head: size 0 or a size past the heap's end
      expectRefused(heap, w, 'CORRUPTED_CHUNK', range);
      heap.bytes(head, 4).set(saved);
      assert.deepEqual(heap.check(), { ok: true });
      stillUsable(heap);
    }
  });

  test('poisons freed payloads with 0xdf and the release build does not', async () => {
    for (const { debug } of VARIANTS) {
      const heap = await createHeap({ debug });
      const a = fillBlock(heap, heap.malloc(200), 0x11);
      heap.malloc(10);
      heap.free(a);
      const inside = heap.bytes(a + 8, 180); // past the free-list links, before the foot
      assert.equal(inside.every((b) => b === (debug ? 0xdf : 0x11)), true);
    }
  });

  test('traps on the first call after a write broke the heap, where the release build goes on',
    async () => {
      for (const { debug } of VARIANTS) {
        const heap = await createHeap({ debug, policy: 'first-fit' }); // [a][10 bytes]: a stays
        const a = heap.malloc(200);
        heap.malloc(10);
        heap.free(a);
        heap.bytes(a + 200, 4).fill(0x55); // a use after free: the free chunk's foot changes
        if (debug) { // a request too big for that chunk, so that nothing rewrites its foot
          assert.throws(() => heap.malloc(300), WebAssembly.RuntimeError);
        } else {
          assert.ok(heap.malloc(300) > 0);
          assert.equal(heap.check().ok, false, 'only check() sees it');
        }
      }
    });
});
