// CS:APP malloc-lab traces (.rep), written and read by the command line (bin/tagalloc.js).
// Format (traces/README.md): four header lines (suggested heap size, ids, ops, weight), then one
// operation a line: `a id size` (ptr[id] = malloc(size)), `r id size` (realloc), `f id` (free).
import fs from 'node:fs';

export const OP_ALLOC = 0;
export const OP_FREE = 1;
export const OP_REALLOC = 2;
const KINDS = { a: OP_ALLOC, f: OP_FREE, r: OP_REALLOC };
const LETTERS = ['a', 'f', 'r'];

/** A malformed trace: the message names the file and the line. */
export class TraceError extends Error {
  constructor(file, line, message) {
    super(`${file}:${line}: ${message}`);
    this.name = 'TraceError';
    this.line = line;
  }
}

/**
 * @typedef {object} Trace
 * @property {string} name  the file name without .rep
 * @property {number} ids   ids run 0 .. ids - 1
 * @property {number} count operations
 * @property {Uint8Array} kinds  OP_ALLOC, OP_FREE or OP_REALLOC, one an operation
 * @property {Uint32Array} args  the id of each operation
 * @property {Uint32Array} sizes the request of each (0 for frees)
 * @property {number} peakLive  the largest sum of live requests, bytes
 * @property {number} peakAt    the operation count after which the live requests peak
 */

/**
 * Reads a trace and checks that it can be replayed: ids in range, no free of a dead id, no
 * allocation on a live id (a realloc of a dead id acts as malloc, as in bench/trace.js).
 * @param {string} text
 * @param {string} file named in errors
 * @returns {Trace}
 */
export function parseRep(text, file) {
  const lines = text.split('\n');
  const header = [];
  let at = 0;
  while (header.length < 4) {
    if (at >= lines.length) {
      throw new TraceError(file, at, `the header ends after ${header.length} of its 4 numbers ` +
        '(heap size, ids, ops, weight)');
    }
    const line = lines[at++].trim();
    if (line === '') continue;
    if (!/^\d+$/.test(line)) {
      throw new TraceError(file, at, `expected header number ${header.length + 1} of 4 ` +
        `(heap size, ids, ops, weight), not "${line.slice(0, 40)}"`);
    }
    header.push(Number(line));
  }
  const [, ids, declared] = header;
  const kinds = new Uint8Array(declared);
  const args = new Uint32Array(declared);
  const sizes = new Uint32Array(declared);
  const live = new Float64Array(ids).fill(-1);
  let count = 0;
  let liveBytes = 0;
  let peakLive = 0;
  let peakAt = 0;
  for (; at < lines.length; at++) {
    const line = lines[at].trim();
    if (line === '') continue;
    const where = at + 1;
    const words = line.split(/\s+/);
    const kind = KINDS[words[0]];
    const id = Number(words[1]);
    const size = kind === OP_FREE ? 0 : Number(words[2]);
    if (kind === undefined || words.length !== (kind === OP_FREE ? 2 : 3) ||
        !Number.isInteger(size) || size < 0 || size >= 2 ** 32) {
      throw new TraceError(file, where,
        `expected "a id size", "r id size" or "f id", not "${line.slice(0, 40)}"`);
    }
    if (!(Number.isInteger(id) && id >= 0 && id < ids)) {
      throw new TraceError(file, where,
        `id ${words[1]} is outside 0..${ids - 1} (the header's ids)`);
    }
    if (kind === OP_ALLOC && live[id] >= 0) {
      throw new TraceError(file, where, `allocates id ${id}, which is still live`);
    }
    if (kind === OP_FREE && live[id] < 0) {
      throw new TraceError(file, where, `frees id ${id}, which is not live`);
    }
    if (count === declared) {
      throw new TraceError(file, where, `more operations than the ${declared} the header promises`);
    }
    liveBytes += (kind === OP_FREE ? 0 : size) - Math.max(live[id], 0);
    live[id] = kind === OP_FREE ? -1 : size;
    kinds[count] = kind;
    args[count] = id;
    sizes[count] = size;
    count++;
    if (liveBytes > peakLive) {
      peakLive = liveBytes;
      peakAt = count;
    }
  }
  if (count !== declared) {
    throw new TraceError(file, lines.length, `the header promises ${declared} operations, the ` +
      `file has ${count}`);
  }
  const name = file.replace(/^.*[\\/]/, '').replace(/\.rep$/, '');
  return { name, ids, count, kinds, args, sizes, peakLive, peakAt };
}

/**
 * Writes a trace to `file`, a block of lines at a time, so that a trace of millions of
 * operations never becomes one string. `heapSize` is the header's suggested heap size (the
 * recorded peak heap); the weight is 1.
 * @param {string} file
 * @param {{ ids: number, count: number, kinds: ArrayLike<number>, args: ArrayLike<number>,
 *   sizes: ArrayLike<number> }} trace
 * @param {number} heapSize
 */
export function writeRep(file, trace, heapSize) {
  const fd = fs.openSync(file, 'w');
  try {
    let lines = [String(heapSize), String(trace.ids), String(trace.count), '1'];
    for (let i = 0; i < trace.count; i++) {
      const kind = trace.kinds[i];
      lines.push(kind === OP_FREE ? `f ${trace.args[i]}` :
        `${LETTERS[kind]} ${trace.args[i]} ${trace.sizes[i]}`);
      if (lines.length === 65536) {
        fs.writeSync(fd, lines.join('\n') + '\n');
        lines = [];
      }
    }
    if (lines.length) fs.writeSync(fd, lines.join('\n') + '\n');
  } finally {
    fs.closeSync(fd);
  }
}
