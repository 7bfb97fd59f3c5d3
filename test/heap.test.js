// The core's behaviour on crafted heaps, through the JavaScript package: placement under each
// policy, splitting, both coalescing modes, realloc, aligned allocation and growth failure.
// wasm32 build: 16-byte alignment, 4-byte head tags, 16-byte minimum chunk; a request of n
// bytes takes a chunk of align16(n + 4) bytes. Sizes below include the head tag.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { VARIANTS, fresh, shape, chunkIndex } from './helpers/heap.js';

// Lays out one free hole of each size (chunk bytes), each followed by a used 16-byte chunk,
// and returns the holes' payloads: holes(heap, [128, 64]) is [F128][U16][F64][U16].
function holes(heap, sizes = [128, 64, 128]) {
  const payloads = sizes.map((size) => {
    const p = heap.malloc(size - 4);
    heap.malloc(12);
    return p;
  });
  payloads.forEach((p) => heap.free(p));
  assert.deepEqual(shape(heap), sizes.flatMap((size) => [`F${size}`, 'U16']));
  return payloads;
}

const smallBigSmall = (heap) => holes(heap, [64, 128, 64]);

for (const { name, debug } of VARIANTS) {
  describe(`placement (${name})`, () => {
    test('first fit takes the lowest hole that fits', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const [a] = holes(heap);
      assert.equal(heap.malloc(60), a);
      assert.deepEqual(shape(heap), ['U64', 'F64', 'U16', 'F64', 'U16', 'F128', 'U16']);
    });

    test('best fit takes the smallest hole that fits', async () => {
      const heap = await fresh({ debug, policy: 'best-fit' });
      const [, b] = holes(heap);
      assert.equal(heap.malloc(60), b);
      assert.deepEqual(shape(heap), ['F128', 'U16', 'U64', 'U16', 'F128', 'U16']);
    });

    test('best fit breaks a tie between equal holes by the lower address', async () => {
      const heap = await fresh({ debug, policy: 'best-fit' });
      const [a] = holes(heap);
      assert.equal(heap.malloc(100), a); // both 128-byte holes fit equally well
    });

    test('next fit resumes at the rover and does not go back to a hole behind it', async () => {
      const heap = await fresh({ debug, policy: 'next-fit' });
      const [a, b, c] = smallBigSmall(heap);
      assert.equal(heap.malloc(108), b); // A is too small: the search passes it
      assert.equal(heap.rover, b + 112, 'the rover is the remainder split from B');
      assert.equal(heap.malloc(44), c, 'C, ahead of the rover, not A behind it');
      assert.equal(heap.walk()[chunkIndex(heap, a)].used, false);
    });

    test('first fit goes back to the lowest hole that next fit skipped', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const [a, b] = smallBigSmall(heap);
      assert.equal(heap.malloc(108), b);
      assert.equal(heap.malloc(44), a);
    });

    test('segregated returns a fitting chunk from the holes without growing', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      holes(heap);
      heap.policy = 'segregated';
      const before = heap.stats().heapSize;
      const p = heap.malloc(60);
      assert.ok(heap.usableSize(p) >= 60);
      assert.equal(heap.stats().heapSize, before);
      assert.ok([0, 2, 4].includes(chunkIndex(heap, p)), 'placed in one of the holes');
    });

    test('segregated cuts a small chunk from the high end of a hole, a large one from the low end',
      async () => {
        const heap = await fresh({ debug, policy: 'first-fit' });
        holes(heap); // [F128][U16][F64][U16][F128][U16]
        heap.policy = 'segregated';
        const holeEnds = heap.walk().filter((c) => !c.used).map((c) => c.payload + c.size);
        heap.malloc(20); // 32 bytes: small
        heap.malloc(200); // 208 bytes: large, from the top of the heap
        const chunks = heap.walk();
        const small = chunks.find((c) => c.used && c.size === 32);
        assert.ok(holeEnds.includes(small.payload + small.size), 'the small chunk ends a hole');
        const large = chunks.find((c) => c.used && c.size === 208);
        assert.ok(large.payload > chunks[5].payload, 'the large block went above the holes');
      });

    test('a small request that grows the heap sits at its low end and leaves room for more blocks',
      async () => {
        const heap = await fresh({ debug, policy: 'segregated' });
        const small = heap.malloc(12);
        assert.deepEqual(shape(heap), ['U16', 'F2032'], 'grown by 2048 bytes, small at the bottom');
        const rest = heap.walk()[1];
        assert.deepEqual(heap.events().map((e) => e.kind), ['grow', 'place', 'split']);
        assert.deepEqual(heap.events()[2], { kind: 'split', payload: rest.payload, size: 2032 });
        const large = heap.malloc(400);
        const next = heap.malloc(12); // small again: from the high end of what is left
        assert.deepEqual(shape(heap), ['U16', 'U416', 'F1600', 'U16']);
        assert.deepEqual(heap.walk().filter((c) => c.used).map((c) => c.payload),
          [small, large, next]);
      });

    test('a large request grows the heap by exactly what it needs', async () => {
      const heap = await fresh({ debug, policy: 'segregated' });
      heap.malloc(400);
      assert.deepEqual(shape(heap), ['U416']);
    });

    // 100 free 1,024-byte holes, each before a used block, and deepest in their list (freed
    // first) one hole of 1,040: all in the class of 1,024 to 1,055 bytes. A request for 1,040
    // bytes finds the first few holes too small; the rest are left alone while the heap can grow.
    async function fragmentedClass() {
      const heap = await fresh({ debug, policy: 'segregated' });
      const deep = heap.malloc(1036);
      heap.malloc(200);
      const holes = Array.from({ length: 100 }, () => {
        const p = heap.malloc(1020);
        heap.malloc(200); // 208 bytes: large, so it lies between the holes
        return p;
      });
      heap.free(deep);
      holes.forEach((p) => heap.free(p));
      assert.equal(shape(heap).filter((s) => s === 'F1024').length, 100);
      return { heap, deep };
    }

    test('a malloc looks at no more than four chunks of a class that is too small for it',
      async () => {
        const { heap, deep } = await fragmentedClass();
        const before = heap.stats().heapSize;
        const p = heap.malloc(1036);
        const probes = heap.events().filter((e) => e.kind === 'probe');
        assert.ok(probes.length <= 6, `${probes.length} probes: 4 of the class, victim, top`);
        assert.notEqual(p, deep, 'the top served it');
        assert.ok(heap.stats().heapSize > before);
        assert.deepEqual(heap.check(), { ok: true });
      });

    test('a heap that cannot grow searches the whole class before refusing a malloc',
      async () => {
        const { heap, deep } = await fragmentedClass();
        const last = heap.walk().at(-1);
        if (!last.used) heap.malloc(last.size - 4); // the top, taken whole
        const { heapStart, heapSize } = heap.stats();
        heap.maxMemory = heapStart + heapSize; // the end tag stays where it is
        assert.equal(heap.malloc(1036), deep);
        assert.equal(heap.lastError, 'NONE');
        assert.equal(heap.malloc(1036), 0);
        assert.equal(heap.lastError, 'OUT_OF_MEMORY');
        assert.equal(heap.stats().heapSize, heapSize);
        assert.deepEqual(heap.check(), { ok: true });
      });
  });

  describe(`splitting and coalescing (${name})`, () => {
    test('a remainder of exactly the minimum chunk is split off', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(44); heap.malloc(12); // [U48][U16]
      heap.free(a);
      heap.malloc(28); // needs 32: leaves 16 bytes, the minimum chunk
      assert.deepEqual(shape(heap), ['U32', 'F16', 'U16']);
    });

    test('a chunk that fits exactly is handed out whole', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(44); heap.malloc(12);
      heap.free(a);
      assert.equal(heap.malloc(40), a); // 40 + 4 rounds up to 48: no remainder
      assert.deepEqual(shape(heap), ['U48', 'U16']);
    });

    test('immediate coalescing merges backwards through the foot tag and forwards', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(28); const b = heap.malloc(28); const c = heap.malloc(28);
      heap.malloc(12);
      heap.free(a);
      heap.free(b); // [free a][b] -> [a + b]: a's foot tells where a starts
      assert.deepEqual(shape(heap), ['F64', 'U32', 'U16']);
      heap.free(c); // [a + b][c] -> one chunk
      assert.deepEqual(shape(heap), ['F96', 'U16']);
      assert.ok(heap.events().some((e) => e.kind === 'merge' && e.payload === a && e.size === 96));
    });

    test('deferred coalescing keeps freed chunks apart until a request needs the room', async () => {
      const heap = await fresh({ debug, policy: 'first-fit', coalescing: 'deferred' });
      const a = heap.malloc(28); const b = heap.malloc(28); const c = heap.malloc(28);
      heap.malloc(12);
      heap.free(a); heap.free(b); heap.free(c);
      assert.deepEqual(shape(heap), ['F32', 'F32', 'F32', 'U16']);
      const before = heap.stats().heapSize;
      assert.equal(heap.malloc(80), a); // no 96-byte chunk: one merge pass makes one
      assert.equal(heap.stats().heapSize, before, 'the merge pass served it without growing');
      assert.deepEqual(shape(heap), ['U96', 'U16']);
    });

    test('switching to immediate coalescing merges touching free chunks', async () => {
      const heap = await fresh({ debug, policy: 'first-fit', coalescing: 'deferred' });
      const a = heap.malloc(28); const b = heap.malloc(28);
      heap.malloc(12);
      heap.free(a); heap.free(b);
      heap.coalescing = 'immediate';
      assert.deepEqual(shape(heap), ['F64', 'U16']);
    });
  });

  describe(`realloc (${name})`, () => {
    test('realloc shrinks in place and gives the tail back', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(124); heap.malloc(12);
      heap.bytes(a, 124).fill(7);
      assert.equal(heap.realloc(a, 28), a);
      assert.deepEqual(shape(heap), ['U32', 'F96', 'U16']);
      assert.ok(heap.bytes(a, 28).every((x) => x === 7));
    });

    test('realloc grows in place into a free successor', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(28); const b = heap.malloc(60); heap.malloc(12);
      heap.bytes(a, 28).fill(9);
      heap.free(b);
      assert.equal(heap.realloc(a, 76), a);
      assert.deepEqual(shape(heap), ['U80', 'F16', 'U16']);
      assert.ok(heap.bytes(a, 28).every((x) => x === 9));
    });

    test('realloc grows in place at the end of the heap', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      heap.malloc(12); const a = heap.malloc(28);
      heap.bytes(a, 28).fill(3);
      assert.equal(heap.realloc(a, 4000), a);
      assert.deepEqual(shape(heap), ['U16', 'U4016']);
      assert.ok(heap.bytes(a, 28).every((x) => x === 3));
    });

    test('a block at the end of the heap moves into a hole that holds it, not past the end',
      async () => {
        const heap = await fresh({ debug, policy: 'first-fit' });
        const hole = heap.malloc(4092); heap.malloc(12); const a = heap.malloc(28);
        heap.free(hole);
        heap.bytes(a, 28).fill(5);
        const before = heap.stats().heapSize;
        assert.equal(heap.realloc(a, 2000), hole);
        const probed = heap.events().filter((e) => e.kind === 'probe').map((e) => e.payload);
        assert.deepEqual(probed, [hole], 'the search shows once: deciding to move probes nothing');
        assert.equal(heap.stats().heapSize, before);
        assert.ok(heap.bytes(hole, 28).every((x) => x === 5));
      });

    for (const policy of ['segregated', 'first-fit', 'next-fit', 'best-fit']) {
      test(`a buffer grown by realloc from a small block, freed and grown again, keeps the heap's size (${policy})`,
        async () => {
          const heap = await fresh({ debug, policy });
          const sizes = [];
          for (let round = 0; round < 4; round++) {
            let p = heap.malloc(100); // small: segregated cuts it from the top's high end
            for (let n = 116; n < 20000; n += 16 * 7) p = heap.realloc(p, n);
            heap.free(p);
            sizes.push(heap.stats().heapSize);
          }
          assert.deepEqual(sizes, [sizes[0], sizes[0], sizes[0], sizes[0]]);
          assert.deepEqual(heap.check(), { ok: true });
        });
    }

    test('realloc moves when it cannot grow in place and keeps the contents', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(28); heap.malloc(12);
      heap.bytes(a, 28).forEach((_, i, bytes) => { bytes[i] = i; });
      const moved = heap.realloc(a, 200);
      assert.notEqual(moved, a);
      assert.deepEqual([...heap.bytes(moved, 28)], [...Array(28).keys()]);
      assert.equal(heap.walk()[0].used, false, 'the old chunk is free again');
    });

    test('realloc of 0 keeps a minimum chunk that is still freed normally', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const a = heap.malloc(60); heap.malloc(12);
      assert.equal(heap.realloc(a, 0), a);
      assert.deepEqual(shape(heap), ['U16', 'F48', 'U16']);
      heap.free(a);
      assert.deepEqual(shape(heap), ['F64', 'U16']);
    });

    test('realloc of NULL is malloc', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const p = heap.realloc(0, 10);
      assert.deepEqual(shape(heap), ['U16']);
      assert.equal(heap.walk()[0].payload, p);
    });
  });

  describe(`aligned allocation and growth (${name})`, () => {
    for (const alignment of [16, 32, 64, 256, 4096, 65536]) {
      test(`aligned allocation at ${alignment} bytes returns the leading gap to the heap`, async () => {
        const heap = await fresh({ debug, policy: 'first-fit' });
        heap.malloc(12);
        const p = heap.alignedAlloc(alignment, 100);
        assert.equal(p % alignment, 0);
        assert.ok(heap.usableSize(p) >= 100);
        const chunks = heap.walk();
        const at = chunkIndex(heap, p);
        assert.ok(at === 1 || (at === 2 && !chunks[1].used), 'only a free gap comes before it');
        assert.equal(chunks[at].size, 112, 'the tail beyond the request was split off');
      });
    }

    test('the heap grows by what a request needs, absorbing a free last chunk', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      heap.malloc(12); const a = heap.malloc(60);
      heap.free(a); // the last chunk is free: 64 bytes
      const before = heap.stats().heapSize;
      heap.malloc(92); // needs 96: grows by 32 only
      assert.equal(heap.stats().heapSize, before + 32);
      assert.deepEqual(shape(heap), ['U16', 'U96']);
    });

    test('growth failure returns 0 and leaves a valid heap', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const { heapBase } = heap.layout();
      heap.maxMemory = heapBase + 4096;
      const a = heap.malloc(1000);
      const before = heap.walk();
      assert.equal(heap.malloc(5000), 0);
      assert.equal(heap.lastError, 'OUT_OF_MEMORY');
      assert.deepEqual(heap.walk(), before);
      heap.free(a);
      assert.notEqual(heap.malloc(3000), 0, 'the heap still serves what fits');
    });

    test('switching policy keeps every block and rebuilds the free index', async () => {
      const heap = await fresh({ debug, policy: 'first-fit' });
      const [a] = holes(heap);
      const before = heap.walk();
      for (const policy of ['segregated', 'best-fit', 'next-fit', 'first-fit']) {
        heap.policy = policy;
        assert.deepEqual(heap.walk(), before);
      }
      assert.equal(heap.malloc(60), a);
    });
  });
}
