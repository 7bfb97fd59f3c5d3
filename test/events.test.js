// heap.events() after a search that probes more chunks than the event log holds: the
// placement, split and growth are still listed, and the true probe count and the cut are told.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VARIANTS, fresh } from './helpers/heap.js';

/** A first-fit heap with `holes` free 32-byte chunks, each between two used ones. */
export async function holey(holes, options = {}) {
  const heap = await fresh({ policy: 'first-fit', ...options });
  const small = [];
  for (let i = 0; i < holes; i++) {
    small.push(heap.malloc(24));
    heap.malloc(24); // keeps the holes apart
  }
  for (const p of small) heap.free(p);
  return heap;
}

for (const { name, debug } of VARIANTS) {
  test(`a search through 1,500 holes lists its first 512 probes and keeps its place and ` +
    `grow events (${name})`, async () => {
    const heap = await holey(1500, { debug });
    const p = heap.malloc(4000); // fits no hole: the search probes all 1,500, then the heap grows
    const events = heap.events();
    assert.equal(events.probes, 1500, 'probes counts every probe, listed or not');
    assert.equal(events.dropped, 1500 - 512);
    assert.equal(events.filter((e) => e.kind === 'probe').length, 512);
    const kinds = events.filter((e) => e.kind !== 'probe').map((e) => e.kind);
    assert.ok(kinds.includes('grow'), `the growth is listed: ${kinds}`);
    assert.ok(kinds.includes('place'), `the placement is listed: ${kinds}`);
    const place = events.find((e) => e.kind === 'place');
    assert.ok(place.payload <= p && p < place.payload + place.size);
    assert.ok(events.every((e) => e.kind !== 'dropped'), 'the cut is told by the counts');
  });

  test(`a short search lists every probe and says nothing was dropped (${name})`, async () => {
    const heap = await holey(5, { debug });
    heap.malloc(4000);
    const events = heap.events();
    assert.equal(events.probes, 5);
    assert.equal(events.dropped, 0);
    assert.equal(events.filter((e) => e.kind === 'probe').length, 5);
  });
}
