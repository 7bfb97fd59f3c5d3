// A model of live blocks, checked from outside the heap: live ranges never overlap, payloads are
// aligned, and the fill written at malloc is intact at free and across realloc.
import assert from 'node:assert/strict';

export const ALIGNMENT = 16; // wasm32's alignof(max_align_t)

export class Model {
  constructor(heap) {
    this.heap = heap;
    this.live = new Map(); // payload -> { request, fill }
    this.nextFill = 1;
  }

  // Records a new block and writes its fill; p = 0 is a failed allocation and records nothing.
  added(p, request, alignment = ALIGNMENT) {
    if (p === 0) return p;
    assert.equal(p % Math.max(alignment, ALIGNMENT), 0, `payload ${p} is aligned to ${alignment}`);
    assert.ok(this.heap.usableSize(p) >= request, 'usable size covers the request');
    const end = p + this.heap.usableSize(p);
    for (const [q] of this.live) {
      const qEnd = q + this.heap.usableSize(q);
      assert.ok(end <= q || qEnd <= p, `block ${p}..${end} overlaps live block ${q}..${qEnd}`);
    }
    const fill = this.nextFill = (this.nextFill * 37 + 11) % 251 + 1;
    this.heap.bytes(p, request).fill(fill);
    this.live.set(p, { request, fill });
    return p;
  }

  // Checks the block's fill over its first n bytes (all of it by default).
  intact(p, n = this.live.get(p).request) {
    const { fill } = this.live.get(p);
    const bytes = this.heap.bytes(p, n);
    const at = bytes.findIndex((b) => b !== fill);
    assert.equal(at, -1, `byte ${at} of block ${p} changed while it was live`);
  }

  malloc(request) {
    return this.added(this.heap.malloc(request), request);
  }

  calloc(count, size) {
    const p = this.heap.calloc(count, size);
    if (p) assert.ok(this.heap.bytes(p, count * size).every((b) => b === 0), 'calloc zeroes');
    return this.added(p, count * size);
  }

  alignedAlloc(alignment, request) {
    return this.added(this.heap.alignedAlloc(alignment, request), request, alignment);
  }

  free(p) {
    this.intact(p);
    this.live.delete(p);
    this.heap.free(p);
  }

  realloc(p, request) {
    const old = this.live.get(p);
    const q = this.heap.realloc(p, request);
    if (q === 0) {
      this.intact(p); // the old block is untouched
      return 0;
    }
    this.live.delete(p);
    const keep = Math.min(old.request, request);
    const at = this.heap.bytes(q, keep).findIndex((b) => b !== old.fill);
    assert.equal(at, -1, `realloc kept ${keep} bytes (byte ${at} differs)`);
    return this.added(q, request);
  }

  // stats() agrees with the walk.
  agreesWithWalk() {
    const chunks = this.heap.walk();
    const stats = this.heap.stats();
    const used = chunks.filter((c) => c.used);
    const free = chunks.filter((c) => !c.used);
    const sum = (list) => list.reduce((total, c) => total + c.size, 0);
    assert.equal(stats.inUse, sum(used), 'stats.inUse is the sum of used chunks');
    assert.equal(stats.free, sum(free), 'stats.free is the sum of free chunks');
    assert.equal(stats.freeChunks, free.length);
    assert.equal(stats.largestFree, Math.max(0, ...free.map((c) => c.size)));
    assert.equal(stats.heapSize, stats.inUse + stats.free + 4, 'chunks and the end tag tile the heap');
    assert.equal(used.length, this.live.size, 'one used chunk per live block');
    for (const c of used) assert.ok(this.live.has(c.payload), `used chunk ${c.payload} is live`);
  }
}

/** A small seeded generator (mulberry32): the seed alone fixes a run. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function seedFor(t) {
  const seed = Number(process.env.TAGALLOC_SEED ?? Date.now() % 2 ** 32);
  t.diagnostic(`seed ${seed} (repeat with TAGALLOC_SEED=${seed} npm test)`);
  return seed;
}
