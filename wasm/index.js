// tagalloc's JavaScript package: one WebAssembly instance is one heap. This file alone touches
// the module's exports and memory. Pointers are numbers; 0 is NULL.

const POLICIES = ['first-fit', 'next-fit', 'best-fit', 'segregated'];
const COALESCING = ['immediate', 'deferred'];
const ERRORS = ['NONE', 'DOUBLE_FREE', 'INVALID_POINTER', 'CORRUPTED_CHUNK', 'OUT_OF_MEMORY',
  'BAD_ALIGNMENT'];
const EVENTS = ['probe', 'place', 'split', 'merge', 'grow', 'free', 'dropped'];
const INVARIANTS = [null, 'I1', 'I2', 'I3', 'I4', 'I5', 'I6', 'I7'];
const STATS = ['heapSize', 'inUse', 'free', 'freeChunks', 'largestFree', 'peakHeap', 'peakInUse',
  'badFrees', 'heapStart'];
const REQUIRED_EXPORTS = ['memory', 'malloc', 'free', 'calloc', 'realloc', 'aligned_alloc',
  'malloc_usable_size', 'tagalloc_set_policy', 'tagalloc_get_policy', 'tagalloc_set_coalescing',
  'tagalloc_get_coalescing', 'tagalloc_rover', 'tagalloc_walk_from', 'tagalloc_get_stats',
  'tagalloc_check', 'tagalloc_check_where', 'tagalloc_last_error', 'tagalloc_set_heap_limit',
  'tagalloc_reset', 'tagalloc_events', 'tagalloc_set_events', 'tagalloc_scratch',
  'tagalloc_scratch_bytes', 'tagalloc_index_walk_from', 'tagalloc_size_class',
  '__heap_base', '__data_end', '__global_base'];
const U32_LIMIT = 2 ** 32;
const PAGE_BYTES = 65536;
const EVENT_MAX = 1024;  // TAGALLOC_EVENT_MAX: records in the event log
const CHUNK_RECORD_BYTES = 12; // tagalloc_chunk and tagalloc_event on wasm32: three 4-byte fields
const INDEX_RECORD_WORDS = 6;  // tagalloc_index_entry: list, low, high, marked, payload, size
const INDEX_VICTIM = 0xfffffffe; // TAGALLOC_INDEX_VICTIM
const INDEX_TOP = 0xffffffff;    // TAGALLOC_INDEX_TOP

const SENTENCES = {
  DOUBLE_FREE: 'the chunk is already free (double free)',
  INVALID_POINTER: 'the pointer is outside the heap or misaligned: this heap never returned it',
  CORRUPTED_CHUNK: 'the tags at this pointer do not read as a used chunk: memory around it was ' +
    'overwritten, or the pointer points into a payload',
  BAD_ALIGNMENT: 'the alignment is not a power of two up to 65536',
};

/** Thrown for misuse: a bad pointer or alignment. The heap is unchanged and stays usable. */
export class TagallocError extends Error {
  /**
   * @param {string} code 'DOUBLE_FREE' | 'INVALID_POINTER' | 'CORRUPTED_CHUNK' | 'BAD_ALIGNMENT'
   * @param {string} call the heap method that refused
   * @param {number} pointer the pointer (or alignment) it was given
   */
  constructor(code, call, pointer) {
    super(`${call}(${hex(pointer)}): ${SENTENCES[code] ?? code}`);
    this.name = 'TagallocError';
    this.code = code;
    this.pointer = pointer;
  }
}

function hex(n) {
  return typeof n === 'number' ? '0x' + (n >>> 0).toString(16) : String(n);
}

const OPTIONS = ['policy', 'coalescing', 'maxMemory', 'debug', 'module'];
const CONSTRUCTING = Symbol('createHeap'); // only createHeap() makes a Heap

const compiled = new Map();

/**
 * Compiles tagalloc.wasm (or tagalloc.debug.wasm, every check on) once per variant; later
 * heaps instantiate the same module. Reads the file beside this one in Node, fetches it in
 * browsers.
 * @param {{ debug?: boolean }} [options]
 * @returns {Promise<WebAssembly.Module>}
 */
export function loadModule({ debug = false } = {}) {
  const name = debug ? 'tagalloc.debug.wasm' : 'tagalloc.wasm';
  if (!compiled.has(name)) compiled.set(name, compile(new URL(name, import.meta.url)));
  return compiled.get(name);
}

async function compile(url) {
  if (typeof process !== 'undefined' && process.versions?.node && url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return WebAssembly.compile(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`tagalloc: cannot load ${url} (HTTP ${response.status})`);
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Makes a new heap: a fresh instance of the module with its own linear memory.
 * @param {import('./index.d.ts').HeapOptions} [options]
 * @returns {Promise<Heap>}
 */
export async function createHeap(options = {}) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`tagalloc: createHeap takes an options object ({ policy, coalescing, ` +
      `maxMemory, debug, module }) or nothing, not ${describe(options)}`);
  }
  const unknown = Object.keys(options).filter((key) => !OPTIONS.includes(key));
  if (unknown.length) {
    throw new TypeError(`tagalloc: createHeap has no option ${unknown.join(', ')}; ` +
      `the options are ${OPTIONS.join(', ')}`);
  }
  if (options.module !== undefined && !(options.module instanceof WebAssembly.Module)) {
    throw new TypeError('tagalloc: createHeap\'s module option is a WebAssembly.Module from ' +
      'loadModule()');
  }
  const module = options.module ?? await loadModule({ debug: options.debug });
  const instance = await WebAssembly.instantiate(module, {});
  const missing = REQUIRED_EXPORTS.filter((name) => !(name in instance.exports));
  if (missing.length) {
    throw new Error(`tagalloc: the wasm module lacks the export${missing.length > 1 ? 's' : ''} ` +
      `${missing.join(', ')}; rebuild it with build.sh`);
  }
  const heap = new Heap(instance.exports, CONSTRUCTING);
  if (options.policy !== undefined) heap.policy = options.policy;
  if (options.coalescing !== undefined) heap.coalescing = options.coalescing;
  if (options.maxMemory !== undefined) heap.maxMemory = options.maxMemory;
  return heap;
}

/** One tagalloc heap. Sizes are bytes; a chunk's size includes its tags. */
export class Heap {
  #x;
  #maxMemory = Infinity;

  /** Not for callers: createHeap() makes heaps. */
  constructor(exports, token) {
    if (token !== CONSTRUCTING) {
      throw new TypeError('tagalloc: a Heap comes from await createHeap(options), not new Heap()');
    }
    this.#x = exports;
  }

  /** @returns {WebAssembly.Memory} */
  get memory() {
    return this.#x.memory;
  }

  #u32() {
    return new Uint32Array(this.#x.memory.buffer); // fresh: growth detaches old buffers
  }

  #error() {
    return ERRORS[this.#x.tagalloc_last_error()];
  }

  // A misuse code throws; OUT_OF_MEMORY is an ordinary 0 result.
  #throwIfMisuse(call, pointer) {
    const code = this.#error();
    if (code !== 'NONE' && code !== 'OUT_OF_MEMORY') throw new TagallocError(code, call, pointer);
  }

  /** @param {number} request bytes @returns {number} payload address, 0 when nothing fits */
  malloc(request) {
    return this.#x.malloc(sizeArgument(request, 'malloc')) >>> 0;
  }

  /** @param {number} payload from malloc and friends; 0 is a no-op */
  free(payload) {
    pointerArgument(payload, 'free');
    this.#x.free(payload);
    this.#throwIfMisuse('free', payload);
  }

  /** count * size zeroed bytes; 0 when the product overflows or nothing fits. */
  calloc(count, size) {
    return this.#x.calloc(sizeArgument(count, 'calloc'), sizeArgument(size, 'calloc')) >>> 0;
  }

  /** Resizes in place when it can, else moves; 0 (and the old block untouched) on failure. */
  realloc(payload, request) {
    pointerArgument(payload, 'realloc');
    const result = this.#x.realloc(payload, sizeArgument(request, 'realloc')) >>> 0;
    this.#throwIfMisuse('realloc', payload);
    return result;
  }

  /** A payload aligned to `alignment` (a power of two up to 65536); 0 when nothing fits. */
  alignedAlloc(alignment, request) {
    if (typeof alignment !== 'number') {
      throw new TypeError(`tagalloc: alignedAlloc takes the alignment as a number of bytes, ` +
        `not ${describe(alignment)}`);
    }
    if (!Number.isInteger(alignment) || alignment <= 0 || alignment >= U32_LIMIT) {
      throw new TagallocError('BAD_ALIGNMENT', 'alignedAlloc', alignment);
    }
    const result = this.#x.aligned_alloc(alignment, sizeArgument(request, 'alignedAlloc')) >>> 0;
    this.#throwIfMisuse('alignedAlloc', alignment);
    return result;
  }

  /** Bytes usable at payload (at least what was asked for). */
  usableSize(payload) {
    pointerArgument(payload, 'usableSize');
    const result = this.#x.malloc_usable_size(payload) >>> 0;
    this.#throwIfMisuse('usableSize', payload);
    return result;
  }

  /** 'first-fit' | 'next-fit' | 'best-fit' | 'segregated'; settable at any moment. */
  get policy() {
    return POLICIES[this.#x.tagalloc_get_policy()];
  }

  set policy(name) {
    const index = POLICIES.indexOf(name);
    if (index < 0 || this.#x.tagalloc_set_policy(index) < 0) {
      throw new RangeError(`tagalloc: unknown policy ${JSON.stringify(name)}; ` +
        `use one of ${POLICIES.join(', ')}`);
    }
  }

  /** 'immediate' | 'deferred'; settable at any moment. */
  get coalescing() {
    return COALESCING[this.#x.tagalloc_get_coalescing()];
  }

  set coalescing(name) {
    const index = COALESCING.indexOf(name);
    if (index < 0) {
      throw new RangeError(`tagalloc: unknown coalescing ${JSON.stringify(name)}; ` +
        `use one of ${COALESCING.join(', ')}`);
    }
    this.#x.tagalloc_set_coalescing(index);
  }

  /** Payload address of the chunk where next fit's search starts (0 on an empty heap). */
  get rover() {
    return this.#x.tagalloc_rover() >>> 0;
  }

  /** The cap on linear memory, bytes (Infinity: none); growth past it fails like any OOM. */
  get maxMemory() {
    return this.#maxMemory;
  }

  set maxMemory(bytes) {
    if (!(bytes === Infinity || (Number.isInteger(bytes) && bytes >= 0))) {
      throw new RangeError('tagalloc: maxMemory is a whole number of bytes or Infinity');
    }
    this.#maxMemory = bytes;
    const heapBytes = Math.max(0, bytes - this.#x.__heap_base.value); // the heap starts there
    this.#x.tagalloc_set_heap_limit(bytes === Infinity ? -1 : Math.min(heapBytes, U32_LIMIT - 1));
  }

  /** @returns {{ payload: number, size: number, used: boolean }[]} the chunks in address order */
  walk() {
    const scratch = this.#x.tagalloc_scratch() >>> 0;
    const perPage = Math.floor((this.#x.tagalloc_scratch_bytes() >>> 0) / CHUNK_RECORD_BYTES);
    const chunks = [];
    let from = 0;
    for (;;) {
      const left = this.#x.tagalloc_walk_from(from, scratch, perPage) >>> 0;
      const u32 = this.#u32();
      const page = Math.min(left, perPage);
      for (let i = 0; i < page; i++) {
        const at = scratch / 4 + i * 3;
        chunks.push({ payload: u32[at], size: u32[at + 1], used: u32[at + 2] !== 0 });
      }
      if (left <= perPage) return chunks;
      const last = chunks[chunks.length - 1];
      from = last.payload + last.size; // the next chunk's payload
    }
  }

  /**
   * The free index as it stands: its non-empty lists (segregated: one a size class, by bin, each
   * newest first; the other policies: one list in address order), the chunks held off them
   * (segregated's victim and top) and the rover. Reads only.
   * @returns {import('./index.d.ts').FreeIndex}
   */
  freeIndex() {
    const scratch = this.#x.tagalloc_scratch() >>> 0;
    const perPage = Math.floor((this.#x.tagalloc_scratch_bytes() >>> 0) /
      (INDEX_RECORD_WORDS * 4));
    const lists = [];
    let victim = null;
    let top = null;
    for (let skip = 0; ; skip += perPage) {
      const total = this.#x.tagalloc_index_walk_from(skip, scratch, perPage) >>> 0;
      const u32 = this.#u32();
      const page = Math.min(Math.max(total - skip, 0), perPage);
      for (let i = 0; i < page; i++) {
        const at = scratch / 4 + i * INDEX_RECORD_WORDS;
        const [list, low, high, marked, payload, size] = u32.subarray(at, at + INDEX_RECORD_WORDS);
        const chunk = { payload, size };
        if (list === INDEX_VICTIM) {
          victim = chunk;
        } else if (list === INDEX_TOP) {
          top = chunk;
        } else {
          if (lists.at(-1)?.bin !== list) {
            lists.push({ bin: list, low, high, marked: marked !== 0, chunks: [] });
          }
          lists.at(-1).chunks.push(chunk);
        }
      }
      if (skip + perPage >= total) break;
    }
    return { policy: this.policy, lists, victim, top, rover: this.rover };
  }

  /**
   * The list malloc(request) searches first: under segregated fit its size class (bin, and the
   * chunk sizes it holds, bytes); under the other policies the one address-ordered list, bin 0.
   * @param {number} request bytes
   * @returns {{ bin: number, low: number, high: number }}
   */
  sizeClass(request) {
    const scratch = this.#x.tagalloc_scratch() >>> 0;
    const bin = this.#x.tagalloc_size_class(sizeArgument(request, 'sizeClass'), scratch) >>> 0;
    const u32 = this.#u32();
    return { bin, low: u32[scratch / 4], high: u32[scratch / 4 + 1] };
  }

  /** @returns {import('./index.d.ts').HeapStats} */
  stats() {
    const scratch = this.#x.tagalloc_scratch() >>> 0;
    this.#x.tagalloc_get_stats(scratch);
    const u32 = this.#u32();
    return Object.fromEntries(STATS.map((name, i) => [name, u32[scratch / 4 + i]]));
  }

  /** Runs the heap's own checker: `{ ok: true }` or `{ ok: false, invariant: 'I3', chunk }`. */
  check() {
    const broken = this.#x.tagalloc_check();
    if (!broken) return { ok: true };
    return { ok: false, invariant: INVARIANTS[broken], chunk: this.#x.tagalloc_check_where() >>> 0 };
  }

  /**
   * What the latest call did: the chunks its search probed, where it placed, split, merged, in
   * order. A search that probes more than 512 chunks lists its first 512: `probes` is how many
   * it probed, `dropped` how many events are not listed (0: the list is whole).
   * @returns {import('./index.d.ts').HeapEvents}
   */
  events() {
    const scratch = this.#x.tagalloc_scratch() >>> 0;
    const log = this.#x.tagalloc_events(scratch) >>> 0;
    const u32 = this.#u32();
    const count = Math.min(u32[scratch / 4], EVENT_MAX);
    const events = [];
    let probes = 0;
    let dropped = 0;
    for (let i = 0; i < count; i++) {
      const at = log / 4 + i * 3;
      const kind = EVENTS[u32[at]];
      if (kind === 'dropped') { // size: probes left out; payload: other events left out
        probes += u32[at + 2];
        dropped += u32[at + 2] + u32[at + 1];
        continue;
      }
      if (kind === 'probe') probes++;
      events.push({ kind, payload: u32[at + 1], size: u32[at + 2] });
    }
    // Not enumerable: the result still compares and serialises as a plain array of events.
    return Object.defineProperties(events, { probes: { value: probes },
      dropped: { value: dropped } });
  }

  /** The outcome code of the latest allocation call: 'NONE', 'OUT_OF_MEMORY', … */
  get lastError() {
    return this.#error();
  }

  /** Where the heap sits in the module's linear memory, bytes and addresses. */
  layout() {
    const { heapStart, heapSize } = this.stats();
    const heapBase = this.#x.__heap_base.value >>> 0;
    return {
      globalBase: this.#x.__global_base.value >>> 0, // static data starts here
      dataEnd: this.#x.__data_end.value >>> 0,       // the shadow stack lies above, up to heapBase
      heapBase,
      heapStart: heapStart || heapBase,
      heapEnd: (heapStart || heapBase) + heapSize,
      memorySize: this.#x.memory.buffer.byteLength,
      pageBytes: PAGE_BYTES,
    };
  }

  /** Forgets every chunk; memory already grown is kept and used again. */
  reset() {
    this.#x.tagalloc_reset();
  }

  /**
   * A view of n bytes at payload (valid until the memory grows). Both are required; a range
   * outside linear memory is a RangeError.
   */
  bytes(payload, n) {
    pointerArgument(payload, 'bytes');
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
      throw new TypeError(`tagalloc: bytes(payload, n) takes n, a whole number of bytes, not ` +
        `${describe(n)}`);
    }
    const memory = this.#x.memory.buffer;
    if (payload + n > memory.byteLength) {
      throw new RangeError(`tagalloc: bytes(${hex(payload)}, ${n}) reaches past the end of ` +
        `linear memory (${memory.byteLength} bytes)`);
    }
    return new Uint8Array(memory, payload, n);
  }
}

/** n as wasm32's size_t. A larger n becomes SIZE_MAX, which the heap refuses as it refuses any
 * request too large to serve: 0 back and lastError 'OUT_OF_MEMORY', from the one place that
 * decides. */
function describe(value) {
  if (typeof value === 'bigint') return `${value}n (a bigint; pass a number)`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function sizeArgument(n, call) {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new TypeError(`tagalloc: ${call} takes a whole number of bytes, not ${describe(n)}`);
  }
  return Math.min(n, U32_LIMIT - 1);
}

function pointerArgument(p, call) {
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= U32_LIMIT) {
    throw new TypeError(`tagalloc: ${call} takes a pointer (a number from malloc), not ` +
      `${describe(p)}`);
  }
}
