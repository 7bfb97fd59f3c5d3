// Bytes count: tagalloc.wasm is held to a budget set from measurement (build.sh prints sizes).
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { test } from 'node:test';

// Measured 5,960 bytes on 2026-11-26 (four policies, events for the page, -Oz + wasm-opt -Oz),
// then 6,475 with the segregated policy's victim and index_take (index.c; together ~1.4x the
// drop-in's throughput on the benchmark); the budget leaves room for small fixes, not for a new
// feature without a look at its cost. 6,884 on 2026-12-01: the lists' sentinels, exact size
// classes up to 256 bytes and the bounded search of a request's own class (issue 11), built
// without the drop-in's fast paths (build.sh says why). 7,808 on 2026-12-01: +724 bytes for the
// page's picture of the free index (src/walk_index.c: tagalloc_index_walk_from and
// tagalloc_size_class, in the standalone module only; the drop-ins leave them out). 7,991 on
// 2026-12-02: +97 bytes for the top kept in the heap struct (heap.h's I6; issue 11: cutting from
// the top reads no tags to find it, the coalescing trace 0.70x to 0.78x).
const BUDGET = 8_064;

test(`tagalloc.wasm stays within its budget of ${BUDGET} bytes`, () => {
  const { size } = statSync(new URL('../wasm/tagalloc.wasm', import.meta.url));
  assert.ok(size <= BUDGET, `tagalloc.wasm is ${size} bytes, over the budget of ${BUDGET}`);
});
