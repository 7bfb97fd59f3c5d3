// Reads CS:APP malloc-lab traces (.rep): four header numbers, then `a id size`, `f id`,
// `r id size`, one op a line. See traces/README.md for the format.
import fs from 'node:fs';
import path from 'node:path';

/** Op kinds, as bench/replay.c numbers them (the top 2 bits of an op's first word). */
export const OP_ALLOC = 0;
export const OP_FREE = 1;
export const OP_REALLOC = 2;
const OP_KIND_SHIFT = 30;
const KINDS = { a: OP_ALLOC, f: OP_FREE, r: OP_REALLOC };

/**
 * @typedef {object} Trace
 * @property {string} name   the file name without `.rep`
 * @property {string} file   its path
 * @property {number} ids    block ids run 0 .. ids - 1
 * @property {number} count  ops in the trace
 * @property {Uint32Array} ops  two words an op, laid out as replay.c's `op`: kind << 30 | id, request
 * @property {number} peakLive  the largest sum of live requests, bytes (the trace's own property)
 */

/**
 * Parses one trace and checks that it can be replayed: every id in range, no op on a dead id
 * except realloc (which then acts as malloc), no malloc on a live id.
 * @param {string} text
 * @param {string} file  used in names and error sentences
 * @returns {Trace}
 */
export function parseTrace(text, file) {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const [, ids, count] = words.slice(0, 4).map(Number);
  if (words.length < 4 || !Number.isInteger(ids) || !Number.isInteger(count)) {
    throw new Error(`${file} does not start with the four header numbers of a malloc-lab trace.`);
  }
  const ops = new Uint32Array(2 * count);
  const live = new Float64Array(ids).fill(-1); // request of each live id, -1 when dead
  let at = 4;
  let liveBytes = 0;
  let peakLive = 0;
  for (let i = 0; i < count; i++) {
    if (at >= words.length) throw new Error(`${file} ends after ${i} of its ${count} ops.`);
    const kind = KINDS[words[at]];
    const id = Number(words[at + 1]);
    const where = `${file}, op ${i + 1}`;
    if (kind === undefined) throw new Error(`${where} is '${words[at]}', not a, f or r.`);
    if (!(Number.isInteger(id) && id >= 0 && id < ids)) {
      throw new Error(`${where} names id ${words[at + 1]}, outside 0..${ids - 1}.`);
    }
    let request = 0;
    if (kind !== OP_FREE) {
      request = Number(words[at + 2]);
      if (!(Number.isInteger(request) && request >= 0 && request < 2 ** 31)) {
        throw new Error(`${where} asks for ${words[at + 2]} bytes.`);
      }
    }
    if (kind === OP_ALLOC && live[id] >= 0) throw new Error(`${where} allocates id ${id}, still live.`);
    if (kind === OP_FREE && live[id] < 0) throw new Error(`${where} frees id ${id}, not live.`);
    liveBytes += (kind === OP_FREE ? 0 : request) - Math.max(live[id], 0);
    live[id] = kind === OP_FREE ? -1 : request;
    peakLive = Math.max(peakLive, liveBytes);
    ops[2 * i] = ((kind << OP_KIND_SHIFT) | id) >>> 0;
    ops[2 * i + 1] = request;
    at += kind === OP_FREE ? 2 : 3;
  }
  return { name: path.basename(file, '.rep'), file, ids, count, ops, peakLive };
}

/**
 * The first `count` ops of a trace, as a trace of their own: ids that never come up stay unused,
 * and the peak live bytes are those of the prefix.
 * @param {Trace} trace
 * @param {number} count
 * @returns {Trace}
 */
export function tracePrefix(trace, count) {
  if (count >= trace.count) return trace;
  const ops = trace.ops.subarray(0, 2 * count);
  const live = new Float64Array(trace.ids).fill(-1);
  let liveBytes = 0;
  let peakLive = 0;
  for (let i = 0; i < count; i++) {
    const kind = ops[2 * i] >>> OP_KIND_SHIFT;
    const id = ops[2 * i] & ((1 << OP_KIND_SHIFT) - 1);
    const request = kind === OP_FREE ? -1 : ops[2 * i + 1];
    liveBytes += Math.max(request, 0) - Math.max(live[id], 0);
    live[id] = request;
    peakLive = Math.max(peakLive, liveBytes);
  }
  return { ...trace, count, ops, peakLive };
}

/**
 * The .rep files in a directory, parsed, in name order.
 * @param {string} dir
 * @returns {Trace[]}
 */
export function readTraces(dir) {
  return fs.readdirSync(dir)
    .filter((f) => f.endsWith('.rep'))
    .sort()
    .map((f) => parseTrace(fs.readFileSync(path.join(dir, f), 'utf8'), path.join(dir, f)));
}

/** The two trace sets, each a directory of traces/. */
export const SETS = ['malloclab', 'programs'];

/**
 * The traces asked for (a set's name, or trace names separated by commas; null: both sets), in
 * set order, each with its `set`; short ones (under 100 ops) only when named.
 * @param {string} dir  traces/
 * @param {string | null} which
 */
export function selectTraces(dir, which) {
  const all = SETS.flatMap((set) => readTraces(path.join(dir, set))
    .map((t) => ({ ...t, set })));
  if (!which) return all.filter((t) => t.count >= 100);
  if (SETS.includes(which)) return all.filter((t) => t.set === which && t.count >= 100);
  const names = which.split(',');
  const picked = all.filter((t) => names.some((n) => t.name === n || t.name === `${n}-bal`));
  const missing = names.filter((n) => !picked.some((t) => t.name === n || t.name === `${n}-bal`));
  if (missing.length) throw new Error(`No trace named ${missing.join(', ')} in traces/.`);
  return picked;
}
