// Runs a WASI program linked with the recording drop-in (build/wasi/libtagalloc-record.a) under
// node:wasi and turns what its env.tagalloc_record import hands over (src/record.h) into a
// malloc-lab trace, a timeline of its memory and a summary. The caller sets the V8 flag
// --no-turbo-fast-api-calls before this runs (bin/tagalloc.js does): node:wasi can crash after
// memory.grow without it.
import { WASI } from 'node:wasi';
import { OP_ALLOC, OP_FREE, OP_REALLOC } from './rep.js';

// src/record.h
const CALLS = ['malloc', 'calloc', 'realloc', 'aligned_alloc', 'free'];
const [MALLOC, CALLOC, REALLOC, ALIGNED_ALLOC, FREE, CHUNKS] = [0, 1, 2, 3, 4, 5];
const RECORD_WORDS = 12;
const EVENT_MAX = 1024;
const EVENTS = ['probe', 'place', 'split', 'merge', 'grow', 'free'];

/** Thrown for a module the recorder cannot run: the message says why and what to do. */
export class RecordError extends Error {
  constructor(message) {
    super(message);
    this.name = 'RecordError';
  }
}

/** Growable columns of numbers, one row a call. */
class Column {
  constructor() {
    this.data = new Float64Array(1024);
    this.length = 0;
  }

  push(n) {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = n;
  }

  values() {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Whether a compiled module imports env.tagalloc_record, as a program linked with the recording
 * library does.
 * @param {WebAssembly.Module} module
 */
export function isRecording(module) {
  return WebAssembly.Module.imports(module)
    .some((i) => i.module === 'env' && i.name === 'tagalloc_record' && i.kind === 'function');
}

/**
 * Runs the program to its end and returns what it did.
 * @param {Uint8Array} bytes the .wasm file
 * @param {{ name: string, args: string[], onProgress?: (calls: number) => void }} options
 *   name: the program's argv[0]; onProgress: called with the calls so far, at most 4 times a second
 * @returns {Promise<object>} { exitCode, trap, trace, timeline, summary }
 */
export async function recordProgram(bytes, { name, args = [], onProgress }) {
  let module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    throw new RecordError(`${name} is not a WebAssembly module (${error.message})`);
  }
  if (!isRecording(module)) {
    throw new RecordError(`${name} was not built with the recording library: it does not import ` +
      'env.tagalloc_record. Link build/wasi/libtagalloc-record.a instead of libtagalloc.a.');
  }
  const imports = WebAssembly.Module.imports(module);
  const foreign = imports.filter((i) => i.module !== 'wasi_snapshot_preview1' &&
    !(i.module === 'env' && i.name === 'tagalloc_record'));
  if (foreign.length) {
    const names = foreign.map((i) => `${i.module}.${i.name}`).join(', ');
    throw new RecordError(`${name} imports ${names}, which a WASI preview1 program run by this ` +
      'recorder does not have');
  }

  // the trace: ids dense in allocation order; payload address -> id of the live block there
  const kinds = [];
  const ids = [];
  const sizes = [];
  const idAt = new Map();
  const liveRequest = [];
  let nextId = 0;
  let liveBytes = 0;
  // the timeline: one row a call
  const timeline = { live: new Column(), heap: new Column(), inUse: new Column(),
    memory: new Column() };
  const counts = Object.fromEntries(CALLS.map((c) => [c, 0]));
  const events = Object.fromEntries(EVENTS.map((e) => [e, 0]));
  const growth = [];
  let failed = 0;
  let calls = 0;
  let peakLive = 0;
  let peakLiveAt = 0;
  let last = null;
  let chunks = null;
  let chunksAfterOps = 0;
  let u32 = null;
  let memory = null;
  let initialMemory = 0;
  let shownAt = 0;

  const addBlock = (payload, request, kind, id) => {
    idAt.set(payload, id);
    kinds.push(kind);
    ids.push(id);
    sizes.push(request);
    liveBytes += request - (liveRequest[id] ?? 0);
    liveRequest[id] = request;
  };

  const record = (entry) => {
    if (u32 === null || u32.buffer !== memory.buffer) u32 = new Uint32Array(memory.buffer);
    const at = entry >>> 2;
    const call = u32[at];
    const a0 = u32[at + 1];
    const a1 = u32[at + 2];
    const result = u32[at + 3];
    const state = { error: u32[at + 4], heapSize: u32[at + 5], inUse: u32[at + 6],
      peakHeap: u32[at + 7], memory: u32[at + 8], heapStart: u32[at + 9] };
    const count = u32[at + 10];
    const data = u32[at + 11] >>> 2;
    if (call === CHUNKS) {
      if (chunks === null || chunks.length >= a1) chunks = [];
      for (let i = 0; i < a0; i++) {
        chunks.push({ payload: u32[data + 3 * i], size: u32[data + 3 * i + 1],
          used: u32[data + 3 * i + 2] !== 0 });
      }
      chunksAfterOps = kinds.length;
      last = state;
      return;
    }
    calls++;
    counts[CALLS[call]]++;
    for (let i = 0, n = Math.min(count, EVENT_MAX); i < n; i++) events[EVENTS[u32[data + 3 * i]]]++;
    switch (call) {
      case MALLOC:
      case CALLOC:
      case ALIGNED_ALLOC:
        if (result) {
          const request = call === MALLOC ? a0 : call === CALLOC ? a0 * a1 : a1;
          addBlock(result, request, OP_ALLOC, nextId++);
        } else {
          failed++;
        }
        break;
      case REALLOC:
        if (!result) {
          failed++; // the block is untouched
        } else if (a0 === 0) {
          addBlock(result, a1, OP_ALLOC, nextId++); // realloc(NULL, n) is malloc(n)
        } else {
          const id = idAt.get(a0);
          idAt.delete(a0);
          addBlock(result, a1, OP_REALLOC, id);
        }
        break;
      case FREE:
        if (a0 !== 0) {
          const id = idAt.get(a0);
          idAt.delete(a0);
          kinds.push(OP_FREE);
          ids.push(id);
          sizes.push(0);
          liveBytes -= liveRequest[id];
          liveRequest[id] = 0;
        }
        break;
      default:
        throw new RecordError(`${name} sent a record of unknown kind ${call}`);
    }
    if (liveBytes > peakLive) {
      peakLive = liveBytes;
      peakLiveAt = calls;
    }
    if (last === null) initialMemory = state.memory;
    if (state.memory !== (last?.memory ?? initialMemory)) {
      growth.push({ call: calls, memory: state.memory, heapSize: state.heapSize });
    }
    timeline.live.push(liveBytes);
    timeline.heap.push(state.heapSize);
    timeline.inUse.push(state.inUse);
    timeline.memory.push(state.memory);
    last = state;
    if (onProgress && (calls & 0xfff) === 0 && Date.now() - shownAt >= 250) {
      shownAt = Date.now();
      onProgress(calls);
    }
  };

  const wasi = new WASI({
    version: 'preview1', args: [name, ...args], env: process.env, preopens: { '.': '.' },
    returnOnExit: true,
  });
  const instance = await WebAssembly.instantiate(module, {
    ...wasi.getImportObject(), env: { tagalloc_record: record },
  });
  memory = instance.exports.memory;
  initialMemory = memory.buffer.byteLength;
  let exitCode;
  let trap = null;
  try {
    exitCode = wasi.start(instance);
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    trap = error;
    exitCode = 134; // as abort()
  }

  if (chunks?.length) { // offsets from the first chunk's payload, comparable across modules
    const first = chunks[0].payload;
    chunks = chunks.map(({ payload, size, used }) => ({ offset: payload - first, size, used }));
  }
  const peakHeap = last?.peakHeap ?? 0;
  let peakInUse = 0;
  for (const n of timeline.inUse.values()) peakInUse = Math.max(peakInUse, n);
  const trace = { ids: nextId, count: kinds.length, kinds, args: ids, sizes };
  const summary = {
    program: name,
    args,
    exitCode,
    trapped: trap ? String(trap.message) : null,
    calls: { total: calls, ...counts, failed },
    trace: { ops: kinds.length, ids: nextId },
    peakLiveBytes: peakLive,
    peakLiveAtCall: peakLiveAt,
    peakHeap,
    peakInUse,
    utilisation: peakHeap ? peakLive / peakHeap : null,
    memory: { initial: initialMemory, final: memory.buffer.byteLength, growthSteps: growth.length },
    growth,
    events,
    final: {
      heapSize: last?.heapSize ?? 0, inUse: last?.inUse ?? 0, liveBytes,
      liveBlocks: idAt.size,
      chunksAfterOps: chunks ? chunksAfterOps : null,
      chunks, // at exit, offsets from the first chunk; null when the program did not exit normally
    },
  };
  return {
    exitCode, trap, trace, summary,
    timeline: { live: timeline.live.values(), heap: timeline.heap.values(),
      inUse: timeline.inUse.values(), memory: timeline.memory.values(), growth },
  };
}
