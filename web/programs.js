// The Programs view: a WASI program linked with the recording library
// (build/wasi/libtagalloc-record.a) runs in the page under web/wasi.js. Each malloc, calloc,
// realloc, aligned_alloc and free of the program reaches the page as a record through the
// program's import env.tagalloc_record (src/record.h) and becomes a line of a malloc-lab trace.
// The program runs to its end first; then its calls are replayed, at the chosen speed, through a
// tagalloc.wasm heap of the page's own, drawn as the Heap view draws its heap, and what the
// program printed appears as the replay reaches the call after which it was printed.

import { createHeap } from '../wasm/index.js';
import { HeapView } from './view.js';
import { MemoryChart } from './memory-chart.js';
import { OP_ALLOC, OP_FREE, OP_REALLOC, Replayer, parseTrace } from './trace.js';
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
 * Runs a compiled recording program to its end and returns what it did: its calls as a trace
 * (ids dense in allocation order, as bin/tagalloc.js record writes them), what it printed with
 * the number of trace operations before each piece, its exit status or trap, the chunk list
 * it reported at exit, and its timeline: after each call (one entry a call, failed ones too) the
 * bytes in use, the heap size and the memory size its records carried, each growth of the memory
 * ({ call, memory }: call numbers count from 1), the memory before the first call, and for each
 * trace operation the call that made it.
 * @param {WebAssembly.Module} module
 * @param {{ name: string, args?: string[], files?: Map<string, Uint8Array> }} options
 */
export async function runProgram(module, { name, args = [], files = new Map() }) {
  const kinds = [];
  const ids = [];
  const sizes = [];
  const idAt = new Map(); // the program's payload -> the id of the live block there
  let nextId = 0;
  let calls = 0;
  let peakHeap = 0;
  let chunks = null;
  let memory = null;
  // The program's memory after each call, from its records: the chart's three series.
  const timeline = { inUse: [], heap: [], memory: [], growth: [], initialMemory: 0, callOfOp: [] };
  const output = []; // { at: operations before it, fd, text }
  const decoders = { 1: new TextDecoder(), 2: new TextDecoder() };
  const print = (fd) => (data) => {
    const text = decoders[fd].decode(data, { stream: true });
    if (!text) return;
    const last = output[output.length - 1];
    if (last && last.fd === fd && last.at === kinds.length) last.text += text;
    else output.push({ at: kinds.length, fd, text });
  };

  const record = (pointer) => {
    const u32 = new Uint32Array(memory.buffer, pointer, RECORD_WORDS);
    const [call, a0, a1, result] = u32;
    peakHeap = u32[7];
    if (call === CHUNKS) {
      if (chunks === null || chunks.length >= u32[2]) chunks = [];
      const data = new Uint32Array(memory.buffer, u32[11], 3 * a0);
      for (let i = 0; i < a0; i++) {
        chunks.push({ payload: data[3 * i], size: data[3 * i + 1], used: data[3 * i + 2] !== 0 });
      }
      return;
    }
    calls++;
    const allocate = (kind, id, request) => {
      idAt.set(result, id);
      kinds.push(kind);
      ids.push(id);
      sizes.push(request);
    };
    if (call === MALLOC || call === CALLOC || call === ALIGNED_ALLOC) {
      const request = call === MALLOC ? a0 : call === CALLOC ? a0 * a1 : a1;
      if (result) allocate(OP_ALLOC, nextId++, request);
    } else if (call === REALLOC) {
      if (result && idAt.has(a0)) {
        const id = idAt.get(a0);
        idAt.delete(a0);
        allocate(OP_REALLOC, id, a1);
      } else if (result) {
        allocate(OP_ALLOC, nextId++, a1); // realloc(NULL, n) is malloc(n)
      }
    } else if (call === FREE) {
      if (idAt.has(a0)) { // free(NULL) and a refused free change nothing
        kinds.push(OP_FREE);
        ids.push(idAt.get(a0));
        sizes.push(0);
        idAt.delete(a0);
      }
    } else {
      throw new ProgramError(`${name} sent a record of unknown kind ${call}`);
    }
    while (timeline.callOfOp.length < kinds.length) timeline.callOfOp.push(calls);
    const before = timeline.memory.length ? timeline.memory.at(-1) : timeline.initialMemory;
    if (u32[8] !== before) timeline.growth.push({ call: calls, memory: u32[8] });
    timeline.heap.push(u32[5]);
    timeline.inUse.push(u32[6]);
    timeline.memory.push(u32[8]);
  };

  const wasi = new Wasi({ args: [name, ...args], env: { LANG: 'C' }, files,
    stdout: print(1), stderr: print(2) });
  const instance = await WebAssembly.instantiate(module, {
    wasi_snapshot_preview1: wasi.imports(module), env: { tagalloc_record: record },
  });
  memory = instance.exports.memory;
  timeline.initialMemory = memory.buffer.byteLength;
  let exitCode = null;
  let trap = null;
  try {
    exitCode = wasi.start(instance);
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    trap = error.message;
  }
  for (const fd of [1, 2]) print(fd)(new Uint8Array(0));
  const trace = { name, ids: nextId, kinds: Uint8Array.from(kinds), args: Uint32Array.from(ids),
    sizes: Uint32Array.from(sizes), length: kinds.length };
  return { trace, calls, peakHeap, output, exitCode, trap, chunks, files, timeline };
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
  #run = null;      // runProgram's result for the program shown
  #replayer = null;
  #shown = 0;       // output pieces on screen
  #playing = false;
  #budget = 0;
  #lastTime = 0;
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
      if (!this.#replayer || this.#replayer.done) return;
      this.#stepOne();
      this.#draw();
    });
    $('program-restart').addEventListener('click', () => {
      if (this.#run) this.#startReplay();
    });
    $('program-compare').addEventListener('click', () => {
      if (!this.#run) return;
      this.#compare(traceText(this.#run.trace, this.#run.peakHeap), this.#run.trace.name);
    });
    const showSpeed = () => {
      const speed = SPEEDS[Number($('program-speed').value)];
      $('program-speed-value').textContent = speed === Infinity ? 'max'
        : `${count(speed)} calls/s`;
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
    this.#status(`${name}: running…`);
    const module = await compileProgram(wasm, name);
    const args = $('program-args').value.trim().split(/\s+/).filter(Boolean);
    const run = await runProgram(module, { name, args, files });
    if (generation !== this.#generation) return;
    $('program-message').hidden = true;
    this.#run = run;
    // The trace goes through the .rep parser, as Compare's will: both see the same operations.
    run.trace = parseTrace(traceText(run.trace, run.peakHeap), name);
    $('program-compare').disabled = false;
    this.#chart.setTimeline(run.timeline);
    this.#startReplay();
    this.#play();
  }

  #startReplay() {
    this.#pause();
    this.#heap.reset();
    this.#replayer = new Replayer(this.#heap, this.#run.trace);
    this.#events = [];
    this.#shown = 0;
    $('program-output').textContent = '';
    for (const id of ['program-play', 'program-step', 'program-restart']) $(id).disabled = false;
    this.#showOutput();
    this.#draw();
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
    if (!this.#replayer || this.#replayer.done) {
      this.#draw();
      return;
    }
    this.#playing = true;
    this.#budget = 1;
    this.#lastTime = performance.now();
    this.#showPlaying();
    requestAnimationFrame((now) => this.#tick(now));
  }

  #pause() {
    if (!this.#playing) return;
    this.#playing = false;
    this.#showPlaying();
    this.#draw();
  }

  #tick(now) {
    if (!this.#playing) return;
    const speed = SPEEDS[Number($('program-speed').value)];
    this.#budget += (speed * Math.min(100, now - this.#lastTime)) / 1000;
    this.#lastTime = now;
    const r = this.#replayer;
    const started = performance.now();
    let n = 0;
    while (!r.done && this.#budget >= 1) {
      this.#stepOne();
      this.#budget -= 1;
      if (++n % 16 === 0 && performance.now() - started > FRAME_BUDGET_MS) break;
    }
    if (speed === Infinity) this.#budget = Infinity;
    if (r.done) {
      this.#playing = false;
      this.#showPlaying();
    } else {
      requestAnimationFrame((t) => this.#tick(t));
    }
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
    const done = this.#replayer.done;
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
      const end = run.trap ? `trapped: ${run.trap}` : `exit status ${run.exitCode}`;
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
    const trace = r.trace;
    const calls = r.done ? this.#run.calls
      : r.position && this.#run.timeline.callOfOp[r.position - 1];
    this.#chart.setShown(calls);
    $('program-bar').style.width = `${(100 * r.position) / Math.max(1, trace.length)}%`;
    const status = `${trace.name}: ${count(r.position)} / ${count(trace.length)} calls replayed`;
    let end = '';
    if (r.done && this.#run.chunks) {
      const theirs = this.#run.chunks.length;
      end = ` · at exit the program's own heap held ${count(theirs)} chunks; this replay holds ` +
        `${count(chunks.length)}`;
    }
    this.#status(status + end);
    $('program-status').dataset.done = String(r.done);
    $('program-step').disabled = r.done;
    $('program-play').disabled = r.done;
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
