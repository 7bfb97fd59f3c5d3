// The Programs view: a WASI program linked with the recording library
// (build/wasi/libtagalloc-record.a) runs in a worker (web/program-worker.js) under web/wasi.js.
// Each malloc, calloc, realloc, aligned_alloc and free of the program reaches the worker as a
// record through the program's import env.tagalloc_record (src/record.h), becomes a line of a
// malloc-lab trace and is sent to the page, which replays it as it comes through a tagalloc.wasm
// heap of its own, drawn as the Heap view draws its heap; what the program printed appears as
// the replay reaches the call after which it was printed. The page lets the program's calls
// through at the chosen speed: paused, the program waits at its next call; Step lets one
// through; Stop ends the worker.

import { createHeap } from '../wasm/index.js';
import { HeapView } from './view.js';
import { MemoryChart } from './memory-chart.js';
import { OP_ALLOC, OP_FREE, OP_REALLOC, Replayer } from './trace.js';
import { bytes, count } from './format.js';
import { Wasi } from './wasi.js';

// src/record.h
const [MALLOC, CALLOC, REALLOC, ALIGNED_ALLOC, FREE, CHUNKS] = [0, 1, 2, 3, 4, 5];
const RECORD_WORDS = 12;
const LETTERS = { [OP_ALLOC]: 'a', [OP_FREE]: 'f', [OP_REALLOC]: 'r' };
const SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, Infinity]; // calls per second
const FRAME_BUDGET_MS = 10; // replay time per frame at full speed
const MAX_MEMORY = 256 * 1024 * 1024;
const OUTPUT_LIMIT = 1 << 20; // characters of output kept
const INT32_MAX = 2 ** 31 - 1;
/** The words of the SharedArrayBuffer a program's worker waits on (web/program-worker.js). */
export const RELEASED = 0; // allocation calls the program may make
export const MADE = 1;     // allocation calls it has made

const $ = (id) => document.getElementById(id);

/** A module that cannot be run here: the message says why. */
export class ProgramError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ProgramError';
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
 * Compiles `bytes` and checks that the page can run it: a WASI preview1 program that imports
 * env.tagalloc_record and nothing else outside WASI.
 * @returns {Promise<WebAssembly.Module>}
 */
export async function compileProgram(bytes, name) {
  let module;
  try {
    module = await WebAssembly.compile(bytes);
  } catch (error) {
    throw new ProgramError(`${name} is not a WebAssembly module (${error.message}).`);
  }
  if (!isRecording(module)) {
    throw new ProgramError(`${name} was not built with the recording library: it does not ` +
      'import env.tagalloc_record, so the page cannot see its heap. Link ' +
      'build/wasi/libtagalloc-record.a instead of libtagalloc.a (README: "See your own ' +
      'program\'s heap").');
  }
  const foreign = WebAssembly.Module.imports(module).filter((i) =>
    i.module !== 'wasi_snapshot_preview1' && !(i.module === 'env' && i.name === 'tagalloc_record'));
  if (foreign.length) {
    throw new ProgramError(`${name} imports ${foreign.map((i) => `${i.module}.${i.name}`)
      .join(', ')}, which a WASI preview1 program run here does not have.`);
  }
  if (!WebAssembly.Module.exports(module).some((e) => e.name === '_start')) {
    throw new ProgramError(`${name} has no _start: build it as a command (a main function).`);
  }
  return module;
}

/**
 * Turns a recording program's records and output into a trace as they come: its calls (ids
 * dense in allocation order, as bin/tagalloc.js record writes them), what it printed with the
 * number of trace operations before each piece, the chunk list it reported at exit, and its
 * timeline: after each call (one entry a call, failed ones too) the bytes in use, the heap size
 * and the memory size its records carried, each growth of the memory ({ call, memory }: call
 * numbers count from 1), the memory before the first call, and for each trace operation the
 * call that made it. runProgram uses one; so does web/program-worker.js, which also gates each
 * call through `beforeCall`.
 */
export class Recorder {
  kinds = [];
  ids = [];
  sizes = [];
  nextId = 0;
  calls = 0;
  peakHeap = 0;
  chunks = null;
  memory = null; // the program's WebAssembly.Memory, once instantiated
  timeline = { inUse: [], heap: [], memory: [], growth: [], initialMemory: 0, callOfOp: [] };
  output = []; // { at: operations before it, fd, text }
  beforeCall = null; // called before each allocation call's record is taken in
  #idAt = new Map(); // the program's payload -> the id of the live block there
  #decoders = { 1: new TextDecoder(), 2: new TextDecoder() };

  constructor(name) {
    this.name = name;
  }

  /** What the program wrote to fd 1 or 2; an empty `data` flushes the decoder. */
  print(fd, data) {
    const text = this.#decoders[fd].decode(data, { stream: data.length > 0 });
    if (!text) return;
    const last = this.output[this.output.length - 1];
    if (last && last.fd === fd && last.at === this.kinds.length) last.text += text;
    else this.output.push({ at: this.kinds.length, fd, text });
  }

  /** env.tagalloc_record: `pointer` is a record of src/record.h in the program's memory. */
  record(pointer) {
    const u32 = new Uint32Array(this.memory.buffer, pointer, RECORD_WORDS);
    const [call, a0, a1, result] = u32;
    if (call === CHUNKS) {
      this.peakHeap = u32[7];
      if (this.chunks === null || this.chunks.length >= u32[2]) this.chunks = [];
      const data = new Uint32Array(this.memory.buffer, u32[11], 3 * a0);
      for (let i = 0; i < a0; i++) {
        this.chunks.push({ payload: data[3 * i], size: data[3 * i + 1],
          used: data[3 * i + 2] !== 0 });
      }
      return;
    }
    this.beforeCall?.();
    this.peakHeap = u32[7];
    const { kinds, ids, sizes, timeline } = this;
    const idAt = this.#idAt;
    this.calls++;
    const allocate = (kind, id, request) => {
      idAt.set(result, id);
      kinds.push(kind);
      ids.push(id);
      sizes.push(request);
    };
    if (call === MALLOC || call === CALLOC || call === ALIGNED_ALLOC) {
      const request = call === MALLOC ? a0 : call === CALLOC ? a0 * a1 : a1;
      if (result) allocate(OP_ALLOC, this.nextId++, request);
    } else if (call === REALLOC) {
      if (result && idAt.has(a0)) {
        const id = idAt.get(a0);
        idAt.delete(a0);
        allocate(OP_REALLOC, id, a1);
      } else if (result) {
        allocate(OP_ALLOC, this.nextId++, a1); // realloc(NULL, n) is malloc(n)
      }
    } else if (call === FREE) {
      if (idAt.has(a0)) { // free(NULL) and a refused free change nothing
        kinds.push(OP_FREE);
        ids.push(idAt.get(a0));
        sizes.push(0);
        idAt.delete(a0);
      }
    } else {
      throw new ProgramError(`${this.name} sent a record of unknown kind ${call}`);
    }
    while (timeline.callOfOp.length < kinds.length) timeline.callOfOp.push(this.calls);
    const before = timeline.memory.length ? timeline.memory.at(-1) : timeline.initialMemory;
    if (u32[8] !== before) timeline.growth.push({ call: this.calls, memory: u32[8] });
    timeline.heap.push(u32[5]);
    timeline.inUse.push(u32[6]);
    timeline.memory.push(u32[8]);
  }

  /**
   * Instantiates `module` under a new Wasi and runs it to its end; returns its exit status, or
   * the message of the trap that ended it.
   * @param {WebAssembly.Module} module
   * @param {{ args?: string[], files?: Map<string, Uint8Array> }} options
   */
  async run(module, { args = [], files = new Map() }) {
    const wasi = new Wasi({ args: [this.name, ...args], env: { LANG: 'C' }, files,
      stdout: (data) => this.print(1, data), stderr: (data) => this.print(2, data) });
    const instance = await WebAssembly.instantiate(module, {
      wasi_snapshot_preview1: wasi.imports(module),
      env: { tagalloc_record: (pointer) => this.record(pointer) },
    });
    this.memory = instance.exports.memory;
    this.timeline.initialMemory = this.memory.buffer.byteLength;
    let exitCode = null;
    let trap = null;
    try {
      exitCode = wasi.start(instance);
    } catch (error) {
      if (!(error instanceof WebAssembly.RuntimeError)) throw error;
      trap = error.message;
    }
    for (const fd of [1, 2]) this.print(fd, new Uint8Array(0));
    return { exitCode, trap };
  }
}

/**
 * Runs a compiled recording program to its end and returns what it did: its calls as a trace,
 * what it printed, its exit status or trap, the chunk list it reported at exit, the files it
 * left and its timeline (Recorder's fields).
 * @param {WebAssembly.Module} module
 * @param {{ name: string, args?: string[], files?: Map<string, Uint8Array> }} options
 */
export async function runProgram(module, { name, args = [], files = new Map() }) {
  const r = new Recorder(name);
  const { exitCode, trap } = await r.run(module, { args, files });
  const trace = { name, ids: r.nextId, kinds: Uint8Array.from(r.kinds),
    args: Uint32Array.from(r.ids), sizes: Uint32Array.from(r.sizes), length: r.kinds.length };
  return { trace, calls: r.calls, peakHeap: r.peakHeap, output: r.output, exitCode, trap,
    chunks: r.chunks, files, timeline: r.timeline };
}

/** A trace as a malloc-lab .rep file's text (header: heap size, ids, operations, weight). */
export function traceText(trace, heapSize = 0) {
  const lines = [String(heapSize), String(trace.ids), String(trace.length), '1'];
  for (let i = 0; i < trace.length; i++) {
    const letter = LETTERS[trace.kinds[i]];
    lines.push(trace.kinds[i] === OP_FREE ? `f ${trace.args[i]}`
      : `${letter} ${trace.args[i]} ${trace.sizes[i]}`);
  }
  return `${lines.join('\n')}\n`;
}

export class ProgramsView {
  #heap = null;
  #view;
  #chart;
  #programs = [];
  #program = null;  // { module, name, args, files }: what Run or a drop started, for Restart
  #run = null;      // the running or ended program: runProgram's shape, growing as records come
  #worker = null;
  #control = null;  // Int32Array over the SharedArrayBuffer the worker waits on
  #replayer = null;
  #shown = 0;       // output pieces on screen
  #playing = false;
  #budget = 0;
  #lastTime = 0;
  #frame = 0;       // a requested animation frame, or 0
  #events = [];
  #compare;
  #generation = 0;

  /**
   * @param {{ module: WebAssembly.Module, compare: (rep: string, name: string) => void }} options
   *   module: tagalloc.wasm, for the heap the program's calls are replayed in; compare: hands a
   *   trace's .rep text to the Compare view
   */
  constructor({ module, compare }) {
    this.#compare = compare;
    this.#view = new HeapView($('program-canvas'));
    this.#chart = new MemoryChart({ box: $('program-memory'), readout: $('program-memory-readout'),
      summary: $('program-memory-summary') });
    this.ready = this.#init(module);
  }

  async #init(module) {
    this.#heap = await createHeap({ module, maxMemory: MAX_MEMORY, policy: 'segregated' });
    window.programHeap = this.#heap;
    this.#wire();
    try {
      const response = await fetch('programs/index.json');
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      this.#programs = await response.json();
    } catch (error) {
      this.#status(`No bundled programs (${error.message}): run bash build.sh web_programs.`);
    }
    const select = $('program-select');
    for (const p of this.#programs) select.add(new Option(p.name, p.name));
    this.#showAbout();
    this.#draw();
  }

  /** Called when the tab opens. */
  show() {
    this.#view.draw();
    this.#chart.draw();
  }

  #wire() {
    $('program-select').addEventListener('change', () => this.#showAbout());
    $('program-run').addEventListener('click', () => this.#runBundled());
    $('program-file').addEventListener('change', async () => {
      const file = $('program-file').files[0];
      $('program-file').value = '';
      if (file) await this.openFile(file);
    });
    const drop = $('programs-view');
    drop.addEventListener('dragover', (event) => {
      event.preventDefault();
      drop.classList.add('dropping');
    });
    drop.addEventListener('dragleave', () => drop.classList.remove('dropping'));
    drop.addEventListener('drop', async (event) => {
      event.preventDefault();
      drop.classList.remove('dropping');
      const file = event.dataTransfer?.files[0];
      if (file) await this.openFile(file);
    });
    $('program-play').addEventListener('click', () => (this.#playing ? this.#pause()
      : this.#play()));
    $('program-step').addEventListener('click', () => {
      this.#pause();
      this.#release(1);
    });
    $('program-stop').addEventListener('click', () => this.#stop());
    $('program-restart').addEventListener('click', () => {
      if (this.#program) this.#launch(++this.#generation);
    });
    $('program-compare').addEventListener('click', () => {
      if (!this.#run) return;
      this.#compare(traceText(this.#run.trace, this.#run.peakHeap), this.#run.trace.name);
    });
    const showSpeed = () => {
      const speed = SPEEDS[Number($('program-speed').value)];
      $('program-speed-value').textContent = speed === Infinity ? 'max'
        : `${count(speed)} calls/s`;
      if (this.#playing) this.#play(); // a new pace: what was let through at the old one goes
    };
    $('program-speed').addEventListener('input', showSpeed);
    showSpeed();
  }

  #showAbout() {
    const p = this.#programs.find((x) => x.name === $('program-select').value);
    if (!p) return;
    $('program-args').value = p.args.join(' ');
    $('program-about').textContent = p.about ?? '';
  }

  async #runBundled() {
    const p = this.#programs.find((x) => x.name === $('program-select').value);
    if (!p) return;
    try {
      const get = async (file) => {
        const response = await fetch(`programs/${file}`);
        if (!response.ok) throw new Error(`cannot load programs/${file} (HTTP ${response.status})`);
        return new Uint8Array(await response.arrayBuffer());
      };
      const files = new Map();
      for (const [name, file] of Object.entries(p.files ?? {})) files.set(name, await get(file));
      await this.#start(await get(p.file), p.name, files);
    } catch (error) {
      this.#problem(error.message);
    }
  }

  /** Runs a .wasm file the user picked or dropped, with the arguments in the field. */
  async openFile(file) {
    try {
      await this.#start(new Uint8Array(await file.arrayBuffer()), file.name.replace(/\.wasm$/, ''),
        new Map());
    } catch (error) {
      this.#problem(error.message);
    }
  }

  async #start(wasm, name, files) {
    const generation = ++this.#generation;
    this.#pause();
    const module = await compileProgram(wasm, name);
    if (generation !== this.#generation) return;
    if (!globalThis.crossOriginIsolated) {
      throw new ProgramError('The program runs in a worker that waits on a SharedArrayBuffer, ' +
        'which needs a cross-origin isolated page: serve it with the Cross-Origin-Opener-Policy ' +
        'and Cross-Origin-Embedder-Policy headers, as web/serve.js does.');
    }
    const args = $('program-args').value.trim().split(/\s+/).filter(Boolean);
    this.#program = { module, name, args, files };
    $('program-message').hidden = true;
    this.#launch(generation);
  }

  /** Starts this.#program from its beginning in a new worker, playing. */
  #launch(generation) {
    this.#pause();
    this.#worker?.terminate();
    const { module, name, args, files } = this.#program;
    this.#run = { trace: { name, ids: 0, kinds: [], args: [], sizes: [], length: 0 }, calls: 0,
      peakHeap: 0, output: [], exitCode: null, trap: null, stopped: false, ended: false,
      chunks: null, timeline: { inUse: [], heap: [], memory: [], growth: [], initialMemory: 0,
        callOfOp: [] } };
    this.#control = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT));
    const worker = new Worker(new URL('./program-worker.js', import.meta.url), { type: 'module' });
    this.#worker = worker;
    worker.onmessage = ({ data }) => {
      if (generation === this.#generation) this.#receive(data);
    };
    worker.onerror = (event) => {
      event.preventDefault();
      if (generation === this.#generation) this.#receive({ type: 'error', message: event.message });
    };
    worker.postMessage({ module, name, args, files, control: this.#control.buffer });
    this.#heap.reset();
    this.#replayer = new Replayer(this.#heap, this.#run.trace);
    this.#events = [];
    this.#shown = 0;
    $('program-output').textContent = '';
    $('program-compare').disabled = true;
    for (const id of ['program-play', 'program-step', 'program-stop', 'program-restart']) {
      $(id).disabled = false;
    }
    this.#chart.setTimeline(this.#run.timeline, false);
    this.#showOutput();
    this.#draw();
    this.#play();
  }

  /** A message from the worker: what the program did since the last one, or its end. */
  #receive(data) {
    const run = this.#run;
    if (data.type === 'records') {
      const { trace, timeline } = run;
      const { ops } = data;
      for (let i = 0; i < ops.kinds.length; i++) {
        trace.kinds.push(ops.kinds[i]);
        trace.args.push(ops.ids[i]);
        trace.sizes.push(ops.sizes[i]);
        timeline.callOfOp.push(ops.callOfOp[i]);
      }
      trace.length = trace.kinds.length;
      trace.ids = ops.nextId;
      this.#fit(trace.ids);
      timeline.initialMemory = data.timeline.initialMemory;
      for (const key of ['inUse', 'heap', 'memory', 'growth']) {
        for (const v of data.timeline[key]) timeline[key].push(v);
      }
      for (const piece of data.output) {
        const last = run.output.at(-1);
        const open = this.#shown < run.output.length; // the last piece is not on screen yet
        if (open && last.fd === piece.fd && last.at === piece.at) {
          last.text += piece.text;
        } else {
          run.output.push(piece);
        }
      }
      run.calls = data.calls;
      run.peakHeap = data.peakHeap;
    } else {
      if (data.type === 'end') Object.assign(run, { exitCode: data.exitCode, trap: data.trap,
        chunks: data.chunks });
      else run.trap = data.message;
      this.#end();
    }
    this.#schedule();
  }

  /** The program has ended, or been stopped: its worker goes, its whole trace is known. */
  #end() {
    this.#worker?.terminate();
    this.#worker = null;
    this.#run.ended = true;
    this.#playing = false;
    this.#showPlaying();
    $('program-stop').disabled = true;
    $('program-compare').disabled = false;
    this.#chart.setTimeline(this.#run.timeline, true);
  }

  #stop() {
    if (!this.#worker) return;
    this.#run.stopped = true;
    this.#end();
    this.#schedule();
  }

  /** Grows the replay's tables of live blocks to `ids` ids. */
  #fit(ids) {
    const r = this.#replayer;
    if (ids <= r.ptrs.length) return;
    const size = Math.max(ids, 2 * r.ptrs.length, 64);
    for (const key of ['ptrs', 'requests']) {
      const grown = new Uint32Array(size);
      grown.set(r[key]);
      r[key] = grown;
    }
  }

  /** Lets `n` more of the program's calls through (Infinity: all of them). */
  #release(n) {
    const words = this.#control;
    if (!words || !this.#worker) return;
    const made = Atomics.load(words, MADE);
    const released = Atomics.load(words, RELEASED);
    const to = n === Infinity ? INT32_MAX : Math.min(INT32_MAX, Math.max(released, made) + n);
    Atomics.store(words, RELEASED, to);
    Atomics.notify(words, RELEASED);
  }

  /** Takes back the calls let through and not made yet: the program stops at its next call. */
  #hold() {
    const words = this.#control;
    if (words) Atomics.store(words, RELEASED, Atomics.load(words, MADE));
  }

  get #replayDone() {
    return !this.#replayer || this.#replayer.position >= this.#run.trace.length;
  }

  get #done() {
    return !this.#run || (this.#run.ended && this.#replayDone);
  }

  #stepOne() {
    try {
      this.#replayer.step();
      this.#events = this.#heap.events();
    } catch (error) {
      this.#events = [];
      this.#status(`${this.#run.trace.name}: the replay's heap refused a call: ${error.message}`);
    }
  }

  #play() {
    if (!this.#run || this.#run.ended) {
      this.#draw();
      return;
    }
    this.#playing = true;
    this.#hold();
    this.#budget = 1;
    this.#lastTime = performance.now();
    this.#showPlaying();
    this.#schedule();
  }

  #pause() {
    if (!this.#playing) return;
    this.#playing = false;
    this.#hold();
    this.#showPlaying();
    this.#draw();
  }

  #schedule() {
    if (!this.#frame) this.#frame = requestAnimationFrame((now) => this.#tick(now));
  }

  /**
   * One frame: while playing, lets the calls the speed allows since the last frame through to
   * the program; then replays the calls that have arrived, for at most FRAME_BUDGET_MS.
   */
  #tick(now) {
    this.#frame = 0;
    if (!this.#run) return;
    if (this.#playing && this.#worker) {
      const speed = SPEEDS[Number($('program-speed').value)];
      if (speed === Infinity) {
        this.#release(Infinity);
      } else {
        this.#budget += (speed * Math.min(100, now - this.#lastTime)) / 1000;
        const n = Math.floor(this.#budget);
        this.#budget -= n;
        // a program slower than the speed is not let through a burst when it catches up
        const words = this.#control;
        const ahead = Atomics.load(words, RELEASED) - Atomics.load(words, MADE);
        if (n > 0 && ahead < Math.max(1, speed / 10)) this.#release(n);
      }
    }
    this.#lastTime = now;
    const started = performance.now();
    let n = 0;
    while (!this.#replayDone) {
      this.#stepOne();
      if (++n % 16 === 0 && performance.now() - started > FRAME_BUDGET_MS) break;
    }
    if (this.#playing || !this.#replayDone) this.#schedule();
    this.#draw();
  }

  #showPlaying() {
    $('program-play').innerHTML = this.#playing
      ? '<i class="glyph pause" aria-hidden="true"></i><span>Pause</span>'
      : '<i class="glyph play" aria-hidden="true"></i><span>Play</span>';
  }

  /** Appends the output the program had printed by the replay's position. */
  #showOutput() {
    const run = this.#run;
    const position = this.#replayer.position;
    const done = this.#done;
    const el = $('program-output');
    while (this.#shown < run.output.length &&
        (done || run.output[this.#shown].at <= position)) {
      const piece = run.output[this.#shown++];
      const span = document.createElement('span');
      span.className = piece.fd === 2 ? 'stderr' : 'stdout';
      span.textContent = piece.text;
      el.append(span);
      if (el.textContent.length > OUTPUT_LIMIT) el.firstChild.remove();
    }
    el.scrollTop = el.scrollHeight;
    if (done) {
      const end = run.stopped ? `stopped after ${count(run.calls)} calls`
        : run.trap ? `trapped: ${run.trap}` : `exit status ${run.exitCode}`;
      $('program-exit').textContent = end;
      $('program-exit').className = `status ${run.trap || run.exitCode ? 'bad' : 'ok'}`;
    } else {
      $('program-exit').textContent = '';
    }
  }

  #draw() {
    const heap = this.#heap;
    if (!heap) return;
    const chunks = heap.walk();
    this.#view.show({ chunks, layout: heap.layout(), rover: heap.rover, roverActive: false,
      events: this.#events });
    const used = chunks.reduce((n, c) => n + (c.used ? 1 : 0), 0);
    const s = heap.stats();
    const el = $('program-chunks');
    el.dataset.count = String(chunks.length);
    el.textContent = `${count(chunks.length)} chunks (${count(used)} used) · heap ` +
      `${bytes(s.heapSize)} · in use ${bytes(s.inUse)}`;
    if (!this.#replayer) return;
    const r = this.#replayer;
    const run = this.#run;
    const trace = run.trace;
    const done = this.#done;
    const calls = this.#replayDone ? run.calls
      : r.position && run.timeline.callOfOp[r.position - 1];
    this.#chart.setShown(calls);
    $('program-bar').style.width = run.ended
      ? `${(100 * r.position) / Math.max(1, trace.length)}%` : '0%';
    const state = run.ended ? '' : this.#playing ? ' · running' : ' · paused';
    const status = `${trace.name}: ${count(r.position)} / ${count(trace.length)} calls replayed` +
      state;
    let end = '';
    if (done && run.chunks) {
      const theirs = run.chunks.length;
      end = ` · at exit the program's own heap held ${count(theirs)} chunks; this replay holds ` +
        `${count(chunks.length)}`;
    }
    this.#status(status + end);
    $('program-status').dataset.done = String(done);
    $('program-status').dataset.calls = String(run.calls);
    // paused, the program makes exactly this many calls: shown once they have all arrived
    if (this.#control) {
      $('program-status').dataset.released = String(Atomics.load(this.#control, RELEASED));
    }
    $('program-step').disabled = run.ended;
    $('program-play').disabled = run.ended;
    this.#showOutput();
  }

  #status(text) {
    $('program-status').textContent = text;
  }

  #problem(text) {
    this.#status('');
    const el = $('program-message');
    el.textContent = text;
    el.hidden = false;
  }
}
