// The page: one heap driven by hand or by a trace, drawn after every call; and, in compare.js,
// the same trace racing through eight heaps. It uses the tagalloc package like any user.

import { createHeap, loadModule } from '../wasm/index.js';
import { HeapView } from './view.js';
import { brief, explain } from './explain.js';
import { describeOp, OP_ALLOC, OP_FREE, parseTrace, Replayer } from './trace.js';
import { bytes, count, exact, hex, parseNumber, percent } from './format.js';
import { COMBINATIONS, Comparison, UTILISATION } from './compare.js';
import { ProgramsView } from './programs.js';
import { FreeIndexPanel } from './freeindex.js';

const MAX_MEMORY = 256 * 1024 * 1024; // a runaway request fails as out of memory, not the tab
const LOG_LIMIT = 200;                 // log lines kept
const LOG_PER_FRAME = 24;              // log lines added per frame while replaying fast
const SPEEDS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, Infinity]; // ops per second
const FRAME_BUDGET_MS = 10;            // replay time per frame at full speed
const LIST_INTERVAL_MS = 250;          // the chunk list's refresh period while replaying
const CALLS = { [OP_ALLOC]: 'malloc', [OP_FREE]: 'free' };
const ANNOUNCE_MS = 2000;              // the least time between two replay announcements

const $ = (id) => document.getElementById(id);

const page = {
  heap: null,
  view: null,
  compare: null,
  names: new Map(),   // payload → { name, request } for chunks this page allocated
  nextName: 1,        // p1, p2, … for allocations made by hand
  selected: 0,        // payload of the selected chunk
  ops: 0,             // calls since the last reset
  chunks: [],
  events: [],
  trace: null,
  replayer: null,
  playing: false,
  budget: 0,
  lastTime: 0,
  listTime: 0,
  traces: [],
  announceText: '',
  announceTime: -Infinity,
  announceTimer: 0,
};

init();

async function init() {
  let module;
  try {
    module = await loadModule();
    page.heap = await createHeap({
      module, maxMemory: MAX_MEMORY, policy: $('policy').value, coalescing: $('coalescing').value,
    });
  } catch (error) {
    $('load-status').textContent = `Could not start tagalloc: ${error.message}`;
    $('load-status').classList.add('bad');
    return;
  }
  window.heap = page.heap; // for people who open the console
  page.view = new HeapView($('heap-canvas'), {
    onHover: showTooltip,
    onSelect: (chunk) => select(chunk ? chunk.payload : 0),
    onDraw: showZoom,
  });
  page.index = new FreeIndexPanel($('free-index'), page.heap);
  wireOperations();
  wireTrace();
  wireView();
  page.traces = await loadTraceList();
  page.compare = new Comparison({ module, traces: page.traces, fetchTrace });
  page.compare.onChange = showLink;
  page.programs = new ProgramsView({ module, compare: compareTrace });
  await page.programs.ready;
  window.addEventListener('hashchange', route);
  for (const id of ['policy', 'coalescing', 'speed', 'trace-select', 'compare-trace']) {
    $(id).addEventListener('change', showLink);
  }
  document.querySelector('.tabs').addEventListener('keydown', (event) => {
    const tabs = [$('tab-heap'), $('tab-compare'), $('tab-programs')];
    const at = tabs.indexOf(document.activeElement);
    const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (at < 0 || to === undefined) return;
    event.preventDefault();
    const tab = tabs[(to + tabs.length) % tabs.length];
    tab.focus();
    location.hash = tab.getAttribute('href');
  });
  await restoreSettings();
  route();
  refresh();
  showLink();
  // Loaded: from now on the header's memory size changes as the heap grows, too often to be
  // announced (the Stats panel has it); a failure to load was announced above.
  $('load-status').setAttribute('aria-live', 'off');
  document.body.dataset.ready = 'true';
}

// ---- Calls ------------------------------------------------------------------------------------

/**
 * Runs one heap call and records it: `run` returns the call's result (a payload, or undefined
 * for free). A refused call (TagallocError) is logged, never thrown.
 */
function perform({ text, call, before = 0, run, after = () => {}, quiet = false, ...args }) {
  const heap = page.heap;
  page.ops++;
  const roverBefore = heap.rover;
  const indexBefore = quiet ? null : heap.freeIndex(); // which list the call takes from
  let result;
  let error = null;
  try {
    result = run();
  } catch (e) {
    error = e;
  }
  const events = error ? [] : heap.events();
  page.events = events;
  if (!error) after(result);
  const op = { n: page.ops, text, call, before, result, error, events, roverBefore, indexBefore,
    policy: heap.policy, coalescing: heap.coalescing, ...args };
  page.lastOp = op;
  if (!quiet) {
    addLog([op]);
    page.pending = op; // explained once refresh() has walked the heap
  }
  return op;
}

function requestOf(id, what) {
  const n = parseNumber($(id).value);
  if (!Number.isFinite(n) || n >= 2 ** 32) {
    logProblem(`${what}: "${$(id).value}" is not a whole number of bytes`);
    return null;
  }
  return n;
}

function pointerOf(id, what) {
  const n = parseNumber($(id).value);
  if (!Number.isFinite(n) || n >= 2 ** 32) {
    logProblem(`${what}: pick a chunk first (click one), or type its payload address`);
    return null;
  }
  return n;
}

/** Runs an allocating call from the form; its chunk is named p1, p2, … on the drawing. */
function allocate(call, args, run, requested, extra = {}) {
  const name = `p${page.nextName}`;
  perform({
    text: `${name} = ${call}(${args.join(', ')})`, call, run, ...extra,
    after: (p) => nameChunk(p, name, requested),
  });
  refresh();
}

function doMalloc() {
  const request = requestOf('malloc-request', 'malloc');
  if (request === null) return;
  allocate('malloc', [request], () => page.heap.malloc(request), request,
    { searchRequest: request });
}

function doCalloc() {
  const n = requestOf('calloc-count', 'calloc');
  const size = n === null ? null : requestOf('calloc-size', 'calloc');
  if (size === null) return;
  allocate('calloc', [n, size], () => page.heap.calloc(n, size), n * size,
    { searchRequest: n * size });
}

function doAligned() {
  const alignment = requestOf('aligned-alignment', 'aligned_alloc');
  const request = alignment === null ? null : requestOf('aligned-request', 'aligned_alloc');
  if (request === null) return;
  allocate('aligned_alloc', [alignment, request],
    () => page.heap.alignedAlloc(alignment, request), request, { alignment, request });
}

function doRealloc() {
  const pointer = pointerOf('realloc-pointer', 'realloc');
  if (pointer !== null && ownedByTrace(pointer, 'realloc')) return;
  const request = pointer === null ? null : requestOf('realloc-request', 'realloc');
  if (request === null) return;
  const old = page.names.get(pointer);
  const name = old?.name ?? `p${page.nextName}`;
  perform({
    text: `${name} = realloc(${hex(pointer)}, ${request})`, call: 'realloc', before: pointer,
    searchRequest: request,
    run: () => page.heap.realloc(pointer, request),
    after: (p) => {
      if (!p) return;
      page.names.delete(pointer);
      page.names.set(p, { name, request });
      if (!old && pointer === 0) page.nextName++;
      if (page.selected === pointer) select(p, { quiet: true });
    },
  });
  refresh();
}

/**
 * A chunk that a loaded trace holds (its ptr[id]) is the trace's: freeing or resizing it by hand
 * would make the trace's own free or realloc of it fail later. Says so and returns true.
 */
function ownedByTrace(pointer, call) {
  const id = page.replayer && !page.replayer.done ? page.replayer.idOf(pointer) : -1;
  if (id < 0) return false;
  logProblem(`${call}(${hex(pointer)}): that chunk is ptr[${id}] of the trace ` +
    `${page.replayer.trace.name}, which frees it itself later; restart the trace or reset the ` +
    'heap to use it by hand');
  return true;
}

function doFree(pointer = pointerOf('free-pointer', 'free')) {
  if (pointer === null || ownedByTrace(pointer, 'free')) return;
  const name = page.names.get(pointer)?.name;
  perform({
    text: `free(${name ?? hex(pointer)})`, call: 'free', before: pointer,
    run: () => page.heap.free(pointer),
    after: () => page.names.delete(pointer),
  });
  refresh();
}

function nameChunk(payload, name, request) {
  if (!payload) return;
  page.names.set(payload, { name, request });
  page.nextName++;
}

function reset() {
  pause();
  page.heap.reset();
  page.names.clear();
  page.nextName = 1;
  page.ops = 0;
  page.events = [];
  page.lastOp = null;
  if (page.trace) page.replayer = new Replayer(page.heap, page.trace);
  select(0, { quiet: true });
  addLog([{ setting: true, text: 'heap.reset(): every chunk forgotten; grown memory kept' }]);
  $('happened').innerHTML = '<p class="muted">The heap is empty again. Its linear memory ' +
    'stays as large as it grew: wasm memory never shrinks.</p>';
  showTraceStatus();
  refresh();
}

function wireOperations() {
  const actions = { malloc: doMalloc, calloc: doCalloc, aligned: doAligned, realloc: doRealloc,
    free: () => doFree() };
  $('ops').addEventListener('submit', (event) => {
    event.preventDefault();
    const call = event.submitter?.dataset.call ?? 'malloc';
    actions[call]();
  });
  // Enter in a field runs that field's call, not the form's first button.
  $('ops').addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.target.tagName !== 'INPUT') return;
    event.preventDefault();
    const button = event.target.closest('.call').querySelector('button');
    actions[button.dataset.call]();
  });
  $('policy').addEventListener('change', () => {
    page.heap.policy = $('policy').value;
    const text = `heap.policy = '${page.heap.policy}'`;
    addLog([{ setting: true, text }]);
    showSetting(text, [{ kind: 'note', text: `The next search uses ${page.heap.policy}; ` +
      'the heap itself did not change.' }], []);
    refresh();
  });
  $('coalescing').addEventListener('change', () => {
    // Switching to immediate merges every run of touching free chunks at once; those merges
    // are appended to the latest call's events, so the new ones are what follows them.
    const earlier = page.heap.events().length;
    page.heap.coalescing = $('coalescing').value;
    const merges = page.heap.events().slice(earlier).filter((e) => e.kind === 'merge');
    const immediate = page.heap.coalescing === 'immediate';
    const note = immediate ? ' (touching free chunks merged now)' : '';
    const text = `heap.coalescing = '${page.heap.coalescing}'`;
    addLog([{ setting: true, text: `${text}${note}` }]);
    let steps;
    if (!immediate) {
      steps = [{ kind: 'note', text: 'From now on a freed chunk stays apart from its free ' +
        'neighbours until a search comes up short and merges them.' }];
    } else if (merges.length) {
      steps = merges.map((e) => ({ kind: 'merge', text: 'Merged touching free chunks into ' +
        `one of ${exact(e.size)} at ${hex(e.payload)}.` }));
    } else {
      steps = [{ kind: 'note', text: 'No free chunks touched: nothing to merge. From now on ' +
        'a freed chunk merges with its free neighbours at once.' }];
    }
    showSetting(text, steps, merges);
    refresh();
  });
  $('reset').addEventListener('click', reset);
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Delete') return; // Backspace means "back" to many people: not a free
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(event.target.tagName)) return;
    if (!page.selected || $('heap-view').hidden) return;
    event.preventDefault();
    doFree(page.selected);
  });
}

// ---- Trace replay -------------------------------------------------------------------------------

async function loadTraceList() {
  try {
    const response = await fetch('traces/index.json');
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const traces = await response.json();
    const select = $('trace-select');
    for (const t of traces) {
      select.add(new Option(`${t.name} · ${count(t.ops)} ops`, t.file));
    }
    return traces;
  } catch (error) {
    $('trace-status').textContent = `No bundled traces (${error.message}): run bash build.sh web.`;
    return [];
  }
}

async function fetchTrace(file) {
  const response = await fetch(`traces/${file}`);
  if (!response.ok) throw new Error(`cannot load traces/${file} (HTTP ${response.status})`);
  return parseTrace(await response.text(), file.replace(/\.rep$/, ''));
}

async function readTraceFile(input) {
  const file = input.files[0];
  if (!file) return null;
  return parseTrace(await file.text(), file.name.replace(/\.rep$/, ''));
}

function useTrace(trace) {
  pause();
  page.trace = trace;
  reset();
  addLog([{ setting: true, text: `trace ${trace.name}: ${count(trace.length)} operations on ` +
    `${count(trace.ids)} ids` }]);
  for (const id of ['play', 'step', 'restart', 'step-back', 'goto-op', 'goto', 'scrubber']) {
    $(id).disabled = false;
  }
  $('scrubber').max = String(trace.length);
  showTraceStatus();
}

function stepTrace({ quiet }) {
  const r = page.replayer;
  const i = r.position;
  const trace = r.trace;
  const id = trace.args[i];
  const kind = trace.kinds[i];
  const before = r.ptrs[id];
  const text = `${describeOp(trace, i)}`;
  if (kind === OP_FREE && !before) {
    r.step();
    page.ops++;
    return { n: page.ops, text, skipped: true, events: [] };
  }
  return perform({
    text, call: CALLS[kind] ?? 'realloc', before, quiet,
    searchRequest: kind === OP_FREE ? undefined : trace.sizes[i],
    run: () => r.step().after,
    after: (p) => {
      const name = `ptr[${id}]`;
      if (kind === OP_FREE) {
        page.names.delete(before);
        return undefined;
      }
      if (p && p !== before) page.names.delete(before);
      if (p) page.names.set(p, { name, request: trace.sizes[i] });
      return p;
    },
  });
}

function play() {
  if (!page.replayer || page.replayer.done) return;
  page.playing = true;
  page.budget = 1; // the first operation runs at once
  page.lastTime = performance.now();
  showPlaying(true);
  requestAnimationFrame(tick);
}

function pause() {
  if (!page.playing) return;
  page.playing = false;
  showPlaying(false);
  refresh();
  showTraceStatus();
}

// The glyphs are CSS shapes: no font is needed for them.
function showPlaying(playing) {
  $('play').innerHTML = playing ? '<i class="glyph pause" aria-hidden="true"></i><span>Pause</span>'
    : '<i class="glyph play" aria-hidden="true"></i><span>Play</span>';
  // While replaying, "What happened" changes every frame: a screen reader hears the throttled
  // status instead (announce()).
  $('happened').setAttribute('aria-live', playing ? 'off' : 'polite');
}

// A screen reader is told the replay's progress at most every ANNOUNCE_MS, and the last word
// always arrives.
function announce(text) {
  page.announceText = text;
  if (page.announceTimer) return;
  const due = page.announceTime + ANNOUNCE_MS - performance.now();
  const say = () => {
    page.announceTimer = 0;
    page.announceTime = performance.now();
    $('announce').textContent = page.announceText;
  };
  if (due <= 0) say();
  else page.announceTimer = setTimeout(say, due);
}

// One frame of replay: as many operations as the speed allows (at most FRAME_BUDGET_MS of
// them), then one redraw.
function tick(now) {
  if (!page.playing) return;
  const speed = SPEEDS[Number($('speed').value)];
  page.budget += (speed * Math.min(100, now - page.lastTime)) / 1000;
  page.lastTime = now;
  const r = page.replayer;
  const started = performance.now();
  const done = [];
  let n = 0;
  const breaks = breakpoints();
  let stopped = null;
  while (!r.done && page.budget >= 1) {
    const heapBefore = breaks.grow ? page.heap.stats().heapSize : 0;
    const failuresBefore = r.failures;
    const op = stepTrace({ quiet: true });
    done.push(op);
    page.budget -= 1;
    stopped = breaks.any ? breakReason(op, breaks, heapBefore, failuresBefore) : null;
    if (stopped) break;
    if (done.length > LOG_PER_FRAME) done.shift();
    if (++n % 16 === 0 && performance.now() - started > FRAME_BUDGET_MS) break;
  }
  if (speed === Infinity) page.budget = Infinity;
  if (done.length) {
    addLog(done);
    const last = done[done.length - 1];
    if (!last.skipped) page.pending = last;
  }
  if (stopped) {
    page.playing = false;
    showPlaying(false);
    page.pending = done[done.length - 1];
    refresh();
    addLog([{ setting: true, text: `stopped after operation ${count(r.position)}: ${stopped}` }]);
    showTraceStatus();
    $('trace-status').textContent += ` · stopped: ${stopped}`;
    $('trace-status').dataset.stopped = stopped;
    return;
  } else if (r.done) {
    page.playing = false;
    showPlaying(false);
    refresh();
  } else {
    refresh({ list: 'throttled' });
    requestAnimationFrame(tick);
  }
  showTraceStatus();
}

function showTraceStatus() {
  const r = page.replayer;
  if (!r) return;
  const total = r.trace.length;
  $('trace-bar').style.width = `${(100 * r.position) / Math.max(1, total)}%`;
  const next = r.done ? 'done' : `next: ${describeOp(r.trace, r.position)}`;
  const status = $('trace-status');
  status.textContent = `${r.trace.name}: ${count(r.position)} / ${count(total)} · ${next}`;
  announce(r.done ? `${r.trace.name}: done, ${count(total)} operations`
    : page.playing ? `${r.trace.name}: operation ${count(r.position)} of ${count(total)}`
      : status.textContent);
  status.dataset.position = String(r.position);
  delete status.dataset.stopped;
  $('scrubber').value = String(r.position);
  $('scrubber').setAttribute('aria-valuetext', `operation ${count(r.position)} of ${count(total)}`);
  $('step-back').disabled = r.position === 0;
  showLink();
  status.dataset.done = String(r.done);
  $('step').disabled = r.done;
  $('play').disabled = r.done;
}

function wireTrace() {
  $('trace-select').addEventListener('change', async () => {
    const file = $('trace-select').value;
    if (!file) return;
    try {
      useTrace(await fetchTrace(file));
    } catch (error) {
      logProblem(error.message);
    }
  });
  $('trace-file').addEventListener('change', async () => {
    try {
      const trace = await readTraceFile($('trace-file'));
      if (trace) {
        $('trace-select').value = '';
        useTrace(trace);
      }
    } catch (error) {
      logProblem(error.message);
    }
    $('trace-file').value = '';
  });
  $('play').addEventListener('click', () => (page.playing ? pause() : play()));
  $('step').addEventListener('click', () => {
    pause();
    if (!page.replayer || page.replayer.done) return;
    const op = stepTrace({ quiet: false });
    if (op.skipped) addLog([op]);
    refresh();
    showTraceStatus();
  });
  $('step-back').addEventListener('click', () => {
    if (page.replayer) seek(page.replayer.position - 1);
  });
  const goto = () => {
    const n = parseNumber($('goto-op').value);
    if (!Number.isFinite(n)) {
      logProblem(`go to operation: "${$('goto-op').value}" is not a whole number`);
      return;
    }
    seek(n);
  };
  $('goto').addEventListener('click', goto);
  $('goto-op').addEventListener('keydown', (event) => {
    if (event.key !== 'Enter') return;
    event.preventDefault();
    goto();
  });
  $('scrubber').addEventListener('input', () => seek(Number($('scrubber').value)));
  $('restart').addEventListener('click', () => {
    if (page.trace) useTrace(page.trace);
  });
  const showSpeed = () => {
    const speed = SPEEDS[Number($('speed').value)];
    $('speed-value').textContent = speed === Infinity ? 'max' : `${count(speed)} ops/s`;
  };
  $('speed').addEventListener('input', showSpeed);
  showSpeed();
}

// ---- Time travel ------------------------------------------------------------------------------

/**
 * Moves the replay to just after operation `target` (0: before the first). Replays are
 * deterministic, so going back resets the heap and replays the trace from its start without
 * drawing, then runs the last operation as a call that "What happened" explains. Going forward
 * replays from where the trace is. Calls made by hand are not replayed.
 */
function seek(target) {
  if (!page.replayer) return;
  pause();
  const trace = page.trace;
  target = Math.max(0, Math.min(trace.length, Math.floor(target)));
  let r = page.replayer;
  const back = target < r.position;
  if (back) {
    page.heap.reset();
    page.names.clear();
    page.nextName = 1;
    r = page.replayer = new Replayer(page.heap, trace);
  }
  while (r.position < target - 1) {
    try {
      r.step();
    } catch {
      // a refused free: the heap is unchanged and the replay goes on, as when playing
    }
  }
  page.names.clear();
  for (let id = 0; id < r.ptrs.length; id++) {
    if (r.ptrs[id]) page.names.set(r.ptrs[id], { name: `ptr[${id}]`, request: r.requests[id] });
  }
  page.ops = r.position;
  page.events = [];
  page.pending = null;
  addLog([{ setting: true, text: `${back ? 'back' : 'forward'} to operation ${count(target)}` +
    (back ? ': the heap reset and the trace replayed from its start' : '') }]);
  if (r.position < target) {
    const op = stepTrace({ quiet: false });
    if (op.skipped) addLog([op]);
  } else {
    $('happened').innerHTML = '<p class="muted">Before the trace\'s first operation: the heap ' +
      'is empty.</p>';
  }
  refresh();
  showTraceStatus();
}

/** The breakpoints chosen: { probes: K or Infinity, grow, fail, any }. */
function breakpoints() {
  const k = parseNumber($('break-probes-k').value);
  const probes = $('break-probes').checked && Number.isFinite(k) ? k : Infinity;
  const grow = $('break-grow').checked;
  const fail = $('break-fail').checked;
  return { probes, grow, fail, any: probes < Infinity || grow || fail };
}

/** Why replay stops after `op`, or null. */
function breakReason(op, breaks, heapBefore, failuresBefore) {
  if (op.skipped) return null;
  if (breaks.fail && (op.error || page.replayer.failures > failuresBefore)) {
    return `${op.text} failed`;
  }
  const probes = op.events?.probes ?? 0;
  if (probes > breaks.probes) {
    return `${op.text} probed ${count(probes)} chunks (more than ${count(breaks.probes)})`;
  }
  if (breaks.grow) {
    const after = page.heap.stats().heapSize;
    if (after > heapBefore) return `${op.text} grew the heap to ${bytes(after)}`;
  }
  return null;
}

// ---- The settings link ------------------------------------------------------------------------

/** The page's settings as a query string: view, policy, coalescing, traces, heaps, speed. */
function settingsQuery() {
  const q = new URLSearchParams();
  q.set('policy', $('policy').value);
  q.set('coalescing', $('coalescing').value);
  if ($('trace-select').value) {
    q.set('trace', $('trace-select').value.replace(/\.rep$/, ''));
    if (page.replayer?.position) q.set('at', String(page.replayer.position));
  }
  q.set('speed', $('speed').value);
  if (page.compare.traceFile) q.set('compare', page.compare.traceFile.replace(/\.rep$/, ''));
  const heaps = page.compare.combinations;
  if (heaps.length < COMBINATIONS.length) q.set('heaps', heaps.join(','));
  return q.toString();
}

function showLink() {
  if (!page.compare) return;
  const href = `?${settingsQuery()}${location.hash || '#heap'}`;
  for (const a of document.querySelectorAll('.settings-link')) a.href = href;
}

/** Applies the settings a link carries (see settingsQuery()); unknown values are ignored. */
async function restoreSettings() {
  const q = new URLSearchParams(location.search);
  const choose = (id, value) => {
    if (value !== null && [...$(id).options].some((o) => o.value === value)) {
      $(id).value = value;
      return true;
    }
    return false;
  };
  if (choose('policy', q.get('policy'))) page.heap.policy = $('policy').value;
  if (choose('coalescing', q.get('coalescing'))) page.heap.coalescing = $('coalescing').value;
  const speed = Number(q.get('speed'));
  if (q.has('speed') && Number.isInteger(speed) && speed >= 0 && speed <= Number($('speed').max)) {
    $('speed').value = String(speed);
    $('speed').dispatchEvent(new Event('input'));
  }
  if (q.has('heaps')) page.compare.combinations = q.get('heaps').split(',');
  if (q.has('compare')) page.compare.traceFile = `${q.get('compare')}.rep`;
  if (q.has('trace') && choose('trace-select', `${q.get('trace')}.rep`)) {
    try {
      useTrace(await fetchTrace($('trace-select').value));
      const at = parseNumber(q.get('at') ?? '');
      if (at > 0) seek(at);
    } catch (error) {
      logProblem(error.message);
    }
  }
}

// ---- Drawing the state ------------------------------------------------------------------------

/**
 * Redraws everything from the heap. Throttled (while replaying), the chunk list is rebuilt only
 * when it is open, at most every LIST_INTERVAL_MS; it is always current when replay stops.
 */
function refresh({ list = 'now' } = {}) {
  const heap = page.heap;
  const chunks = heap.walk();
  page.chunks = chunks;
  if (page.selected && !chunks.some((c) => c.payload === page.selected)) select(0, { quiet: true });
  page.view.show({
    chunks, layout: heap.layout(), rover: heap.rover, roverActive: heap.policy === 'next-fit',
    events: page.events, selected: page.selected,
  });
  showStats(heap.stats(), heap.check(), chunks);
  page.index.show(page.lastOp && page.events === page.lastOp.events ? page.lastOp : null);
  showMemory(heap.layout().memorySize);
  showSelected();
  if (page.pending) {
    showHappened(page.pending);
    page.pending = null;
  }
  const now = performance.now();
  if (list === 'now' || ($('chunk-details').open && now - page.listTime >= LIST_INTERVAL_MS)) {
    showList(chunks);
    page.listTime = now;
  }
}

/** The header's memory size: linear memory only grows, by malloc or by a trace. */
function showMemory(memorySize) {
  const el = $('load-status');
  if (el.dataset.memorySize === String(memorySize)) return;
  el.dataset.memorySize = String(memorySize);
  el.textContent = `tagalloc.wasm · ${bytes(memorySize)} of linear memory`;
}

function showStats(s, check, chunks) {
  const used = chunks.reduce((n, c) => n + (c.used ? 1 : 0), 0);
  const rows = [
    ['heap size', `${count(s.heapSize)} B`],
    ['in use', `${count(s.inUse)} B`],
    ['free', `${count(s.free)} B`],
    ['free chunks', count(s.freeChunks)],
    ['largest free', `${count(s.largestFree)} B`],
    ['peak heap', `${count(s.peakHeap)} B`],
    ['peak in use', `${count(s.peakInUse)} B`],
    ['bad frees', count(s.badFrees)],
    ['heap start', s.heapStart ? hex(s.heapStart) : '—'],
    ['chunks', `${count(chunks.length)} (${count(used)} used)`, 'derived'],
    ['peak utilisation', percent(s.peakHeap ? s.peakInUse / s.peakHeap : NaN), 'derived',
      UTILISATION],
    ['ext. fragmentation', percent(s.free ? 1 - s.largestFree / s.free : NaN), 'derived',
      '1 − largest free / total free'],
  ];
  $('stats').innerHTML = rows.map(([name, value, cls = '', title = '']) =>
    `<dt class="${cls}" title="${title}">${name}</dt><dd class="${cls}" data-stat="${name}">` +
    `${value}</dd>`).join('');
  const el = $('check');
  el.className = `check ${check.ok ? 'ok' : 'bad'}`;
  el.textContent = check.ok ? 'heap.check(): ok, I1–I7 hold'
    : `heap.check(): ${check.invariant} broken at ${hex(check.chunk)}`;
}

function showList(chunks) {
  const list = $('chunk-list');
  const html = new Array(chunks.length);
  for (let i = 0; i < chunks.length; i++) {
    const c = chunks[i];
    const state = c.used ? 'used' : 'free';
    const selected = c.payload === page.selected ? ' aria-selected="true"' : '';
    html[i] = `<li id="chunk-${c.payload}" role="option" data-payload="${c.payload}" ` +
      `data-size="${c.size}" data-state="${state}"${selected || ' aria-selected="false"'}>` +
      `<span>${hex(c.payload)}</span><span>${c.size} B</span><span>${state}</span></li>`;
  }
  list.innerHTML = html.join('');
  list.dataset.ops = String(page.ops);
  $('chunk-count').textContent = `(${count(chunks.length)})`;
}

function readTag(address) {
  const b = page.heap.bytes(address, 4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
}

function tagText(tag) {
  const flags = [];
  if (tag & 1) flags.push('USED');
  if (tag & 2) flags.push('PREV_USED');
  return `${hex(tag).padStart(6)} = ${tag & ~15}${flags.map((f) => ` | ${f}`).join('')}`;
}

function chunkRows(c) {
  const named = page.names.get(c.payload);
  const chunkAddress = c.payload - 4;
  const rows = [
    ['state', `<span class="state-${c.used ? 'used' : 'free'}">${c.used ? 'used' : 'free'}</span>`],
    ['payload', hex(c.payload)],
    ['chunk (head tag)', hex(chunkAddress)],
    ['size', `${c.size} B`],
  ];
  if (c.used && named) rows.push(['request', `${named.request} B as ${named.name}`]);
  if (c.used) rows.push(['usable', `${c.size - 4} B`]);
  rows.push(['head tag', tagText(readTag(chunkAddress))]);
  rows.push(['foot tag', c.used ? 'none: the next head’s PREV_USED says “used”'
    : tagText(readTag(chunkAddress + c.size - 4))]);
  return rows;
}

function showSelected() {
  const el = $('selected');
  const c = page.chunks.find((x) => x.payload === page.selected);
  if (!c) {
    el.innerHTML = '<p class="muted">None: click a chunk.</p>';
    return;
  }
  el.innerHTML = `<table>${chunkRows(c).map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
    .join('')}</table>`;
}

function select(payload, { quiet = false } = {}) {
  page.selected = payload;
  if (payload) {
    $('free-pointer').value = hex(payload);
    $('realloc-pointer').value = hex(payload);
  }
  for (const li of $('chunk-list').querySelectorAll('[aria-selected="true"]')) {
    li.setAttribute('aria-selected', 'false');
  }
  const li = payload ? $('chunk-list').querySelector(`[data-payload="${payload}"]`) : null;
  li?.setAttribute('aria-selected', 'true');
  if (li) $('chunk-list').setAttribute('aria-activedescendant', li.id);
  else $('chunk-list').removeAttribute('aria-activedescendant');
  li?.scrollIntoView({ block: 'nearest' });
  if (quiet) return;
  showSelected();
  page.view.show({ selected: payload });
}

const REGION_NOTES = {
  unused: 'Below __global_base: left empty, so that NULL and other small addresses hold nothing.',
  static: 'The module’s static data, its globals and constants: __global_base to __data_end.',
  stack: 'The shadow stack: C locals whose address is taken. It grows down from __heap_base.',
  heap: 'tagalloc’s heap: from __heap_base (aligned for chunk 0) to its end tag.',
  grown: 'Pages memory.grow added that the heap has not reached (yet, or since a reset).',
};

function showTooltip(target, x, y) {
  const tip = $('tooltip');
  if (!target) {
    tip.hidden = true;
    return;
  }
  if ('payload' in target) {
    tip.innerHTML = `<table class="chunk-info">${chunkRows(target).map(([k, v]) =>
      `<tr><th>${k}</th><td class="mono">${v}</td></tr>`).join('')}</table>`;
  } else {
    tip.innerHTML = `<b>${target.name}</b><br><span class="mono">${hex(target.from)} – ` +
      `${hex(target.to)} · ${bytes(target.to - target.from)}</span><br>` +
      REGION_NOTES[target.region];
  }
  tip.hidden = false;
  const w = tip.offsetWidth;
  const h = tip.offsetHeight;
  tip.style.left = `${Math.min(x + 14, window.innerWidth - w - 8)}px`;
  tip.style.top = `${y + 18 + h > window.innerHeight ? y - h - 10 : y + 18}px`;
}

function showZoom() {
  const bpp = page.view.bytesPerPixel;
  if (!(bpp > 0)) {
    $('zoom-level').textContent = '';
    return;
  }
  $('zoom-level').textContent = bpp >= 1 ? `${bpp.toFixed(bpp < 10 ? 1 : 0)} B/px`
    : `${(1 / bpp).toFixed(1)} px/B`;
}

/** Zooms the detail strip about the selected chunk when there is one, else its middle. */
function zoom(factor) {
  const c = page.chunks.find((x) => x.payload === page.selected);
  page.view.zoom(factor);
  if (c) page.view.centre(c.payload - 4 + c.size / 2);
}

/** Selects the chunk `step` places after the selected one (the first or last when none). */
function selectBy(step, { centre = true } = {}) {
  const chunks = page.chunks;
  if (!chunks.length) return;
  const at = chunks.findIndex((c) => c.payload === page.selected);
  const last = chunks.length - 1;
  let i;
  if (!Number.isFinite(step)) i = step < 0 ? 0 : last;
  else if (at < 0) i = step > 0 ? 0 : last;
  else i = Math.min(last, Math.max(0, at + step));
  select(chunks[i].payload);
  if (centre) page.view.centre(chunks[i].payload - 4 + chunks[i].size / 2);
  const c = chunks[i];
  $('heap-canvas').setAttribute('aria-description', `selected: ${c.used ? 'used' : 'free'} ` +
    `chunk at ${hex(c.payload)}, ${c.size} bytes, ${i + 1} of ${chunks.length}`);
}

const KEY_STEPS = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -1, ArrowDown: 1, Home: -Infinity,
  End: Infinity, PageUp: -10, PageDown: 10 };

function wireView() {
  $('zoom-in').addEventListener('click', () => zoom(2));
  $('zoom-out').addEventListener('click', () => zoom(0.5));
  $('heap-canvas').addEventListener('keydown', (event) => {
    if (event.key in KEY_STEPS) {
      event.preventDefault();
      selectBy(KEY_STEPS[event.key]);
    } else if (event.key === '+' || event.key === '=') {
      event.preventDefault();
      zoom(2);
    } else if (event.key === '-') {
      event.preventDefault();
      zoom(0.5);
    }
  });
  $('chunk-list').addEventListener('keydown', (event) => {
    if (!(event.key in KEY_STEPS)) return;
    event.preventDefault();
    selectBy(KEY_STEPS[event.key]);
  });
  $('zoom-fit').addEventListener('click', () => page.view.fit());
  $('chunk-details').addEventListener('toggle', () => showList(page.chunks));
  $('chunk-list').addEventListener('click', (event) => {
    const li = event.target.closest('li');
    if (!li) return;
    const payload = Number(li.dataset.payload);
    select(payload);
    page.view.centre(payload);
  });
}

// ---- What happened, and the log ---------------------------------------------------------------

function resultText(op) {
  if (op.error) return `<span class="error">${escape(op.error.code ?? op.error.name)}</span>`;
  if (op.call === 'free') return '';
  if (op.result === 0) return ' → <span class="error">0 (out of memory)</span>';
  return ` → <span class="result">${hex(op.result)}</span>`;
}

function showHappened(op) {
  const el = $('happened');
  let body;
  if (op.error) {
    body = `<ul><li class="error">Refused: ${escape(op.error.message)}` +
      `${op.error.code ? ` (TagallocError ${op.error.code})` : ''}. ` +
      'The heap is unchanged.</li></ul>';
  } else {
    const steps = explain({ ...op, chunks: page.chunks });
    body = `<ul>${steps.map((s) => `<li class="${s.kind}">${escape(s.text)}</li>`).join('')}</ul>`;
  }
  const arrow = op.error ? ' → ' : '';
  el.innerHTML = `<p class="call-line">${escape(op.text)}${arrow}${resultText(op)}` +
    ` <span class="muted small">${op.policy} · ${op.coalescing}</span></p>${body}`;
}

/** "What happened" for a setting: its steps, and only its own events drawn on the heap. */
function showSetting(text, steps, events) {
  page.events = events;
  page.pending = null;
  $('happened').innerHTML = `<p class="call-line">${escape(text)}</p><ul>` +
    steps.map((s) => `<li class="${s.kind}">${escape(s.text)}</li>`).join('') + '</ul>';
}

function addLog(ops) {
  const log = $('log');
  const fragment = document.createDocumentFragment();
  for (let i = ops.length - 1; i >= 0; i--) {
    const op = ops[i];
    const li = document.createElement('li');
    if (op.setting) {
      li.className = 'setting';
      li.innerHTML = `<span class="n"></span><span class="what">${escape(op.text)}</span>`;
    } else {
      let tail = '';
      if (op.skipped) tail = ' <span class="brief">skipped: the id holds nothing</span>';
      else if (op.error) tail = ` <span class="brief">${escape(op.error.message)}</span>`;
      else {
        const words = brief(op.events);
        if (words) tail = ` <span class="brief">· ${escape(words)}</span>`;
      }
      if (op.error) li.className = 'error';
      const result = op.error ? ` → ${resultText(op)}` : op.skipped ? '' : resultText(op);
      li.innerHTML = `<span class="n">${op.n}</span><span class="what">${escape(op.text)}` +
        `${result}${tail}</span>`;
      li.title = li.textContent;
    }
    fragment.append(li);
  }
  log.prepend(fragment);
  while (log.childElementCount > LOG_LIMIT) log.lastElementChild.remove();
}

function logProblem(text) {
  const li = document.createElement('li');
  li.className = 'error';
  li.innerHTML = `<span class="n">!</span><span class="what">${escape(text)}</span>`;
  $('log').prepend(li);
  $('happened').innerHTML = `<ul><li class="error">${escape(text)}</li></ul>`;
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;',
    '"': '&quot;' })[ch]);
}

// ---- Tabs -------------------------------------------------------------------------------------

function route() {
  const shown = { '#compare': 'compare', '#programs': 'programs' }[location.hash] ?? 'heap';
  for (const name of ['heap', 'compare', 'programs']) {
    $(`${name}-view`).hidden = name !== shown;
    $(`tab-${name}`).setAttribute('aria-selected', String(name === shown));
    $(`tab-${name}`).tabIndex = name === shown ? 0 : -1;
  }
  if (shown === 'compare') page.compare.show();
  else if (shown === 'programs') page.programs.show();
  else page.view.draw();
  showLink();
}

/** Hands a trace's .rep text (a program's, from the Programs view) to Compare and opens it. */
function compareTrace(rep, name) {
  const trace = parseTrace(rep, name);
  const select = $('compare-trace');
  select.querySelector('option[data-loaded]')?.remove();
  const option = new Option(`${name} (program) · ${count(trace.length)} ops`, '');
  option.dataset.loaded = 'true';
  select.add(option, 0);
  select.value = '';
  page.compare.run(trace);
  location.hash = '#compare';
}
