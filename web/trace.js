// CS:APP malloc-lab traces: parsing, and replaying one against a heap a step at a time.
// Format: four header numbers (suggested heap size, ids, ops, weight), then one operation a
// line: `a id size` (ptr[id] = malloc(size)), `f id` (free(ptr[id])), `r id size` (realloc).

export const OP_ALLOC = 0;
export const OP_FREE = 1;
export const OP_REALLOC = 2;
const KINDS = { a: OP_ALLOC, f: OP_FREE, r: OP_REALLOC };

/**
 * Reads a .rep file's text.
 * @param {string} text
 * @param {string} [name] shown in the UI
 * @returns {{ name: string, ids: number, kinds: Uint8Array, args: Uint32Array,
 *   sizes: Uint32Array, length: number }} operation i is kinds[i] on id args[i] with sizes[i]
 */
export function parseTrace(text, name = 'trace') {
  const lines = text.split('\n');
  const header = [];
  let at = 0;
  while (header.length < 4 && at < lines.length) {
    const line = lines[at++].trim();
    if (line === '') continue;
    if (!/^\d+$/.test(line)) {
      throw new SyntaxError(`${name}: line ${at}: expected the header's ${header.length + 1}` +
        ' of 4 numbers (heap size, ids, ops, weight)');
    }
    header.push(Number(line));
  }
  if (header.length < 4) throw new SyntaxError(`${name}: the four header lines are missing`);
  const [, ids, declared] = header;
  const kinds = [];
  const args = [];
  const sizes = [];
  let maxId = -1;
  for (; at < lines.length; at++) {
    const line = lines[at].trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
    const kind = KINDS[words[0]];
    const id = Number(words[1]);
    const size = kind === OP_FREE ? 0 : Number(words[2]);
    const wordCount = kind === OP_FREE ? 2 : 3;
    if (kind === undefined || words.length !== wordCount || !Number.isInteger(id) || id < 0 ||
        !Number.isInteger(size) || size < 0 || size >= 2 ** 32) {
      throw new SyntaxError(`${name}: line ${at + 1}: expected "a id size", "f id" or ` +
        `"r id size", not "${line.slice(0, 40)}"`);
    }
    kinds.push(kind);
    args.push(id);
    sizes.push(size);
    if (id > maxId) maxId = id;
  }
  if (kinds.length !== declared) {
    throw new SyntaxError(`${name}: the header promises ${declared} operations, the file has ` +
      `${kinds.length}`);
  }
  return {
    name,
    ids: Math.max(ids, maxId + 1),
    kinds: Uint8Array.from(kinds),
    args: Uint32Array.from(args),
    sizes: Uint32Array.from(sizes),
    length: kinds.length,
  };
}

/** One trace operation as C: `malloc(2040)`, `free(ptr[3])`. */
export function describeOp(trace, i) {
  const id = trace.args[i];
  switch (trace.kinds[i]) {
    case OP_ALLOC: return `ptr[${id}] = malloc(${trace.sizes[i]})`;
    case OP_FREE: return `free(ptr[${id}])`;
    default: return `ptr[${id}] = realloc(ptr[${id}], ${trace.sizes[i]})`;
  }
}

/**
 * Replays a trace against a heap, one operation at a time. ptr[id] is what the trace's id holds;
 * freeing an id that holds nothing is skipped, as the malloc-lab driver never does it.
 */
export class Replayer {
  /** @param {import('../wasm/index.js').Heap} heap @param {ReturnType<typeof parseTrace>} trace */
  constructor(heap, trace) {
    this.heap = heap;
    this.trace = trace;
    this.ptrs = new Uint32Array(trace.ids);
    this.requests = new Uint32Array(trace.ids); // live request per id, bytes
    this.position = 0;
    this.requested = 0; // bytes the live requests asked for
    this.peakRequested = 0;
    this.failures = 0; // allocations that returned 0
  }

  get done() {
    return this.position >= this.trace.length;
  }

  /**
   * Runs the next operation. Returns what it did: the id, the pointer before and after, and
   * the request. A misuse the heap refuses throws its TagallocError (the trace moves on).
   */
  step() {
    const { trace, heap, ptrs } = this;
    const i = this.position++;
    const kind = trace.kinds[i];
    const id = trace.args[i];
    const size = trace.sizes[i];
    const before = ptrs[id];
    let after = before;
    if (kind === OP_ALLOC) {
      after = heap.malloc(size);
      if (after) this.#track(id, size);
      else this.failures++;
    } else if (kind === OP_FREE) {
      if (before) {
        after = 0;
        this.#track(id, 0);
        heap.free(before);
      }
    } else {
      const moved = heap.realloc(before, size);
      if (moved) {
        after = moved;
        this.#track(id, size);
      } else {
        this.failures++;
      }
    }
    ptrs[id] = after;
    return { index: i, kind, id, size, before, after };
  }

  #track(id, request) {
    this.requested += request - this.requests[id];
    this.requests[id] = request;
    if (this.requested > this.peakRequested) this.peakRequested = this.requested;
  }

  /** The trace id whose pointer is payload, or -1. */
  idOf(payload) {
    return payload ? this.ptrs.indexOf(payload) : -1;
  }
}
