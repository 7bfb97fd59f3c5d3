// Replays a malloc-lab trace in tagalloc.wasm (through wasm/index.js, as any user of the package
// would) under the four fit policies and two coalescing modes, for the command line.
import { performance } from 'node:perf_hooks';
import { createHeap, loadModule } from '../wasm/index.js';
import { OP_ALLOC, OP_FREE } from './rep.js';

export const POLICIES = ['first-fit', 'next-fit', 'best-fit', 'segregated'];
export const COALESCING = ['immediate', 'deferred'];

/**
 * Replays every operation of `trace` in `heap`: ptr[id] = malloc / realloc, free(ptr[id]).
 * A realloc of an id that holds nothing acts as malloc. Returns how many requests failed
 * (nothing fitted: the heap could not grow) and the stats at the trace's peak of live requests.
 * @param {import('../wasm/index.js').Heap} heap
 * @param {import('./rep.js').Trace} trace
 */
export function replay(heap, trace, { statsAtPeak = false } = {}) {
  const ptr = new Float64Array(trace.ids);
  const { kinds, args, sizes, count } = trace;
  let failed = 0;
  let atPeak = null;
  for (let i = 0; i < count; i++) {
    const id = args[i];
    const kind = kinds[i];
    if (kind === OP_FREE) {
      heap.free(ptr[id]);
      ptr[id] = 0;
    } else {
      const p = kind === OP_ALLOC || ptr[id] === 0 ? heap.malloc(sizes[i]) :
        heap.realloc(ptr[id], sizes[i]);
      if (p === 0) failed++;
      else ptr[id] = p;
    }
    if (statsAtPeak && i + 1 === trace.peakAt) atPeak = heap.stats();
  }
  return { failed, atPeak };
}

/** The chunk list as offsets from the first chunk, comparable across modules. */
export function relativeChunks(heap) {
  const chunks = heap.walk();
  const start = chunks.length ? chunks[0].payload : 0;
  return chunks.map(({ payload, size, used }) => ({ offset: payload - start, size, used }));
}

function median(sorted) {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The eight combinations, each replayed once to measure memory and then `runs` more times,
 * timed, each in a fresh heap.
 * @param {import('./rep.js').Trace} trace
 * @param {{ runs?: number, onProgress?: (text: string) => void }} [options]
 * @returns {Promise<object[]>} one row a combination
 */
export async function compareTrace(trace, { runs = 5, onProgress } = {}) {
  const module = await loadModule();
  const rows = [];
  for (const policy of POLICIES) {
    for (const coalescing of COALESCING) {
      onProgress?.(`${policy} ${coalescing}: measuring`);
      const heap = await createHeap({ module, policy, coalescing });
      const { failed, atPeak } = replay(heap, trace, { statsAtPeak: true });
      const end = heap.stats();
      const peak = atPeak ?? end;
      const times = [];
      for (let run = 0; run < runs; run++) {
        onProgress?.(`${policy} ${coalescing}: run ${run + 1} of ${runs}`);
        const timed = await createHeap({ module, policy, coalescing });
        const started = performance.now();
        replay(timed, trace);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      rows.push({
        policy, coalescing, failed,
        utilisation: end.peakHeap ? trace.peakLive / end.peakHeap : null,
        peakHeap: end.peakHeap,
        peakInUse: end.peakInUse,
        // external fragmentation when the live requests peak: 1 - largest free / free
        fragmentation: peak.free ? 1 - peak.largestFree / peak.free : 0,
        check: heap.check().ok,
        ms: { median: times.length ? median(times) : null, min: times[0] ?? null,
          max: times[times.length - 1] ?? null, runs },
      });
    }
  }
  return rows;
}

/** The rows as a text table. */
export function formatTable(trace, rows) {
  const percent = (x) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
  const header = ['policy', 'coalescing', 'utilisation', 'peak heap', 'fragmentation',
    'median ms', 'spread ms'];
  const body = rows.map((r) => [r.policy, r.coalescing, percent(r.utilisation),
    r.peakHeap.toLocaleString('en'), percent(r.fragmentation),
    r.ms.median === null ? '-' : r.ms.median.toFixed(2),
    r.ms.min === null ? '-' : `${r.ms.min.toFixed(2)}–${r.ms.max.toFixed(2)}`]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((row) => row[c].length)));
  const line = (cells) => cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) :
    cell.padStart(widths[c]))).join('  ');
  const notes = rows.filter((r) => r.failed).map((r) =>
    `${r.policy} ${r.coalescing}: ${r.failed} requests failed (out of memory)`);
  return [
    `${trace.name}: ${trace.count.toLocaleString('en')} operations, ` +
      `${trace.ids.toLocaleString('en')} ids, peak live requests ` +
      `${trace.peakLive.toLocaleString('en')} bytes`,
    line(header),
    ...body.map(line),
    'utilisation: peak live requests / peak heap; fragmentation: 1 - largest free / free chunk ' +
      'bytes when the live requests peak; times over the runs, each in a fresh heap',
    ...notes,
  ].join('\n') + '\n';
}
