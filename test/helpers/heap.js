// Test helpers: fresh heaps whose every operation is followed by the heap's own check, and the
// heap's shape as a list that reads like the heap ('U32' used, 'F64' free; sizes include tags).
import assert from 'node:assert/strict';
import { createHeap, loadModule } from '../../wasm/index.js';

/** Both builds every JavaScript test runs against. */
export const VARIANTS = [
  { name: 'tagalloc.wasm', debug: false },
  { name: 'tagalloc.debug.wasm', debug: true },
];

export const POLICIES = ['first-fit', 'next-fit', 'best-fit', 'segregated'];
export const COALESCING = ['immediate', 'deferred'];

const MUTATORS = new Set(['malloc', 'free', 'calloc', 'realloc', 'alignedAlloc', 'reset']);

/**
 * A new heap (its own instance) that asserts heap.check() is { ok: true } after every call
 * that changes it.
 */
export async function fresh(options = {}) {
  const heap = await createHeap({ ...options, module: await loadModule({ debug: options.debug }) });
  return new Proxy(heap, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      if (!MUTATORS.has(key)) return value.bind(target);
      return (...args) => {
        try {
          return value.apply(target, args);
        } finally {
          assert.deepEqual(target.check(), { ok: true }, `check after ${key}(${args.join(', ')})`);
        }
      };
    },
    set(target, key, value) {
      const done = Reflect.set(target, key, value, target);
      assert.deepEqual(target.check(), { ok: true }, `check after setting ${String(key)}`);
      return done;
    },
  });
}

/** The chunk list as ['U32', 'F64', ...]. */
export function shape(heap) {
  return heap.walk().map(({ size, used }) => `${used ? 'U' : 'F'}${size}`);
}

/** Index of the chunk whose payload is p. */
export function chunkIndex(heap, p) {
  return heap.walk().findIndex((chunk) => chunk.payload === p);
}
