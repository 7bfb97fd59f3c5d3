// Types for tagalloc's JavaScript package (wasm/index.js).

export type Policy = 'first-fit' | 'next-fit' | 'best-fit' | 'segregated';
export type Coalescing = 'immediate' | 'deferred';
export type ErrorCode =
  | 'NONE' | 'DOUBLE_FREE' | 'INVALID_POINTER' | 'CORRUPTED_CHUNK' | 'OUT_OF_MEMORY' | 'BAD_ALIGNMENT';

export interface HeapOptions {
  /** Fit policy; default 'segregated'. */
  policy?: Policy;
  /** Coalescing mode; default 'immediate'. */
  coalescing?: Coalescing;
  /** Cap on the module's linear memory in bytes; growth past it makes malloc return 0. */
  maxMemory?: number;
  /** Load tagalloc.debug.wasm: every invariant checked after every call (traps if broken). */
  debug?: boolean;
  /** A module from loadModule(), to skip loading and compiling. */
  module?: WebAssembly.Module;
}

export interface Chunk {
  /** The address malloc returns for this chunk. */
  payload: number;
  /** The whole chunk, tags included, bytes. */
  size: number;
  used: boolean;
}

export interface HeapStats {
  heapSize: number; inUse: number; free: number; freeChunks: number; largestFree: number;
  peakHeap: number; peakInUse: number; badFrees: number; heapStart: number;
}

export type CheckResult =
  | { ok: true }
  | { ok: false; invariant: 'I1' | 'I2' | 'I3' | 'I4' | 'I5' | 'I6' | 'I7'; chunk: number };

export interface HeapEvent {
  kind: 'probe' | 'place' | 'split' | 'merge' | 'grow' | 'free';
  payload: number;
  /** The chunk's size at the time (for 'grow': bytes added). */
  size: number;
}

/** One call's events, in order; a search that probes more than 512 chunks lists the first 512. */
export type HeapEvents = HeapEvent[] & {
  /** How many free chunks the search probed, listed or not. */
  probes: number;
  /** How many events are not listed (0: the list is whole). */
  dropped: number;
};

export interface FreeChunk {
  payload: number;
  /** The whole chunk, tags included, bytes. */
  size: number;
}

export interface FreeList {
  /** Its bin: a size class under segregated fit; 0, the address-ordered list, otherwise. */
  bin: number;
  /** The chunk sizes it holds, bytes. */
  low: number;
  high: number;
  /** Its bit in the bitmap (segregated fit): true iff the bin is non-empty. */
  marked: boolean;
  /** In list order: newest first in a size class, address order otherwise. */
  chunks: FreeChunk[];
}

export interface FreeIndex {
  policy: Policy;
  /** The non-empty lists, by bin. */
  lists: FreeList[];
  /** Segregated fit: the rest of the latest split, held off the bins (or null). */
  victim: FreeChunk | null;
  /** Segregated fit: the last chunk when free, the last resort, never on a list (or null). */
  top: FreeChunk | null;
  /** Payload of the chunk where next fit resumes (0 on an empty heap). */
  rover: number;
}

export interface Layout {
  globalBase: number; dataEnd: number; heapBase: number; heapStart: number; heapEnd: number;
  memorySize: number; pageBytes: number;
}

export class TagallocError extends Error {
  constructor(code: Exclude<ErrorCode, 'NONE' | 'OUT_OF_MEMORY'>, call: string, pointer: number);
  code: Exclude<ErrorCode, 'NONE' | 'OUT_OF_MEMORY'>;
  /** the pointer the call was given; for BAD_ALIGNMENT, the alignment */
  pointer: number;
}

/** A heap comes from createHeap(); `new Heap()` throws. */
export class Heap {
  private constructor();
  readonly memory: WebAssembly.Memory;
  policy: Policy;
  coalescing: Coalescing;
  maxMemory: number;
  readonly rover: number;
  readonly lastError: ErrorCode;
  malloc(request: number): number;
  free(payload: number): void;
  calloc(count: number, size: number): number;
  realloc(payload: number, request: number): number;
  /** A non-number alignment (a bigint too) is a TypeError; a bad number, TagallocError. */
  alignedAlloc(alignment: number, request: number): number;
  usableSize(payload: number): number;
  walk(): Chunk[];
  stats(): HeapStats;
  check(): CheckResult;
  events(): HeapEvents;
  /** The free index's lists, victim, top and rover; reads only. Cost: O(free chunks). */
  freeIndex(): FreeIndex;
  /** The list malloc(request) searches first. */
  sizeClass(request: number): { bin: number; low: number; high: number };
  layout(): Layout;
  reset(): void;
  /** Throws TypeError for a missing or non-integer argument, RangeError past memory's end. */
  bytes(payload: number, n: number): Uint8Array;
}

export function loadModule(options?: { debug?: boolean }): Promise<WebAssembly.Module>;
/** Rejects (TypeError) anything but an options object, and unknown option names. */
export function createHeap(options?: HeapOptions): Promise<Heap>;
