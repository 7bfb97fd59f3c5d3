// The Programs view's memory chart: after each of the program's calls, the bytes in use, the heap
// size and the module's linear memory, against call number, each growth of the memory marked.
// The values are the program's own records (src/record.h), never the page's replay. The approach
// is cli/svg.js's (bin/tagalloc.js record draws the same chart as an SVG file): each drawn point
// is the largest value of the calls it covers, so that no peak disappears, and the last point is
// the last call's value exactly. Here the SVG is sized to its box, grows as the replay reaches
// each call and as a running program's records come, and takes the keyboard: arrows, Home and
// End move a cursor whose values are read out in text; Page Up and Page Down go to the previous
// and next growth.

import { byteTicks, countTicks } from './charts.js';
import { count, exact } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';
const MARGIN = { left: 58, right: 12, top: 22, bottom: 36 };
const LABEL_GAP = 52; // pixels between two growth labels; a closer mark keeps only its line
/** The series, bottom to top; the legend in index.html draws the same strokes. */
export const SERIES = [
  { key: 'inUse', label: 'in use', color: '#1d4ed8', dash: '', width: 1.6 },
  { key: 'heap', label: 'heap size', color: '#15803d', dash: '', width: 2.2 },
  { key: 'memory', label: 'wasm memory', color: '#7e22ce', dash: '6 3', width: 1.8 },
];
const GROWTH_COLOR = '#475569';

/** A byte tick exactly: `64 KiB`, `1,280 KiB`, `2 MiB`. */
function tickBytes(v) {
  if (v >= 1024 ** 2 && v % 1024 ** 2 === 0) return `${count(v / 1024 ** 2)} MiB`;
  if (v >= 1024 && v % 1024 === 0) return `${count(v / 1024)} KiB`;
  return `${count(v)} B`;
}

/**
 * The points drawn for calls 1..shown of a timeline, at most about `columns` of them: call 0
 * (before the first call: nothing in use, no heap, the memory the module started with), then
 * one a bucket of calls, each the bucket's largest values, and always the last shown call's own.
 * @returns {{ call: number, inUse: number, heap: number, memory: number }[]}
 */
export function samplePoints(timeline, shown, columns) {
  const every = Math.max(1, Math.ceil(timeline.heap.length / Math.max(1, columns)));
  const points = [{ call: 0, inUse: 0, heap: 0, memory: timeline.initialMemory }];
  for (let from = 0; from < shown; from += every) {
    const to = Math.min(shown, from + every);
    const p = { call: to, inUse: 0, heap: 0, memory: 0 };
    for (let i = from; i < to; i++) {
      for (const { key } of SERIES) p[key] = Math.max(p[key], timeline[key][i]);
    }
    points.push(p);
  }
  if (shown > 0) points.push(valuesAt(timeline, shown));
  return points;
}

/** The values the program's record carried after call `call` (counting from 1). */
function valuesAt(timeline, call) {
  const i = call - 1;
  return { call, inUse: timeline.inUse[i], heap: timeline.heap[i], memory: timeline.memory[i] };
}

function element(name, attributes = {}, text = '') {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, String(v));
  if (text) el.textContent = text;
  return el;
}

export class MemoryChart {
  #box;
  #readout;
  #summary;
  #svg;
  #timeline = null;
  #shown = 0;
  #cursor = null; // a call number, or null: the readout then follows the last shown call
  #every = 1;     // calls a drawn column covers, from the last draw
  #ended = true;  // false while the program runs and its timeline grows

  /**
   * @param {{ box: HTMLElement, readout: HTMLElement, summary: HTMLElement }} elements
   *   box: the focusable element the SVG fills; readout: the values at the cursor; summary: the
   *   whole run's figures
   */
  constructor({ box, readout, summary }) {
    this.#box = box;
    this.#readout = readout;
    this.#summary = summary;
    this.#svg = element('svg', { 'aria-hidden': 'true', focusable: 'false' });
    box.append(this.#svg);
    box.addEventListener('keydown', (event) => this.#key(event));
    box.addEventListener('blur', () => this.#readout.setAttribute('aria-live', 'off'));
    box.addEventListener('pointermove', (event) => this.#point(event));
    box.addEventListener('pointerleave', () => this.#move(null));
    new ResizeObserver(() => this.draw()).observe(box);
  }

  /**
   * A run's timeline (runProgram's), nothing of it shown yet. A running program's timeline grows
   * as its records come (`ended` false): the summary then counts its calls so far.
   */
  setTimeline(timeline, ended = true) {
    this.#timeline = timeline;
    this.#shown = 0;
    this.#cursor = null;
    this.#ended = ended;
    this.#summarize();
    this.draw();
  }

  #summarize() {
    const timeline = this.#timeline;
    const calls = timeline.heap.length;
    if (!this.#ended) {
      this.#summary.textContent = `${count(calls)} calls so far; the program is running.`;
      Object.assign(this.#summary.dataset, { calls });
      return;
    }
    const last = calls ? valuesAt(timeline, calls) : { inUse: 0, heap: 0, memory: 0 };
    const peak = (key) => timeline[key].reduce((m, v) => Math.max(m, v), 0);
    const steps = timeline.growth.length;
    this.#summary.textContent = `${count(calls)} calls · at exit: heap ${exact(last.heap)}, ` +
      `in use ${exact(last.inUse)}, memory ${exact(last.memory)} · peak heap ` +
      `${exact(peak('heap'))}, peak in use ${exact(peak('inUse'))} · memory grew ` +
      `${steps === 1 ? 'once' : `${count(steps)} times`}, from ${exact(timeline.initialMemory)}`;
    Object.assign(this.#summary.dataset, { calls, heap: last.heap, inUse: last.inUse,
      memory: last.memory, growth: steps });
  }

  /** Shows calls 1..calls: the replay has reached them. */
  setShown(calls) {
    if (!this.#timeline || calls === this.#shown) return;
    this.#shown = calls;
    if (!this.#ended) this.#summarize();
    this.#readout.setAttribute('aria-live', 'off'); // the replay's pace would flood a reader
    if (this.#cursor !== null && this.#cursor > calls) this.#cursor = null;
    this.draw();
  }

  draw() {
    const t = this.#timeline;
    const w = this.#box.clientWidth;
    if (!t || !w || (!t.heap.length && !t.initialMemory)) { // nothing yet from a new program
      this.#svg.replaceChildren();
      this.#showReadout();
      return;
    }
    const h = w < 500 ? 220 : 260;
    const svg = this.#svg;
    svg.setAttribute('width', w);
    svg.setAttribute('height', h);
    svg.setAttribute('viewBox', `0 0 ${w} ${h}`);
    const calls = Math.max(1, t.heap.length);
    const left = MARGIN.left;
    const right = w - MARGIN.right;
    const top = MARGIN.top;
    const bottom = h - MARGIN.bottom;
    const yTicks = byteTicks(Math.max(t.initialMemory, ...t.memory), 4);
    const yMax = yTicks.at(-1);
    const xTicks = countTicks(calls, w < 500 ? 3 : 6);
    const x = (call) => left + ((right - left) * call) / calls;
    const y = (v) => bottom - ((bottom - top) * v) / yMax;
    const columns = Math.max(1, Math.floor(right - left));
    this.#every = Math.max(1, Math.ceil(calls / columns));
    const points = samplePoints(t, this.#shown, columns);
    const parts = [];

    for (const v of yTicks) {
      parts.push(element('line', { x1: left, x2: right, y1: y(v), y2: y(v), class: 'grid' }),
        element('text', { x: left - 5, y: y(v) + 3.5, 'text-anchor': 'end' }, tickBytes(v)));
    }
    xTicks.forEach((c, i) => {
      const end = i === xTicks.length - 1 && x(c) > right - 16;
      parts.push(element('line', { x1: x(c), x2: x(c), y1: bottom, y2: bottom + 4, class: 'axis' }),
        element('text', { x: end ? right : x(c), y: bottom + 15,
          'text-anchor': end ? 'end' : 'middle' }, count(c)));
    });
    parts.push(element('text', { x: (left + right) / 2, y: h - 5, 'text-anchor': 'middle',
      class: 'axis-name' }, 'allocation call (the program\'s, in order) →'));
    const yName = element('text', { x: 0, y: 0, 'text-anchor': 'middle', class: 'axis-name',
      transform: `translate(12 ${(top + bottom) / 2}) rotate(-90)` }, 'bytes');
    parts.push(yName,
      element('line', { x1: left, x2: right, y1: bottom, y2: bottom, class: 'axis' }));

    // Each growth the replay has reached: a dotted line, and above it the new size where it fits.
    let lastLabel = -Infinity;
    for (const g of t.growth) {
      if (g.call > this.#shown) break;
      const gx = x(g.call);
      const mark = element('line', { x1: gx, x2: gx, y1: top - 4, y2: bottom, class: 'growth',
        stroke: GROWTH_COLOR, 'data-call': g.call, 'data-memory': g.memory });
      mark.append(element('title', {}, `call ${count(g.call)}: memory grew to ${exact(g.memory)}`));
      parts.push(mark);
      if (gx - lastLabel >= LABEL_GAP && gx <= right - 20) {
        parts.push(element('text', { x: gx, y: top - 8, 'text-anchor': 'middle',
          class: 'growth-label' }, `↑ ${tickBytes(g.memory)}`));
        lastLabel = gx;
      }
    }

    // In use as a shaded area under its line; memory as steps, since it only ever jumps.
    const path = (key, step) => points.map((p, i) => {
      const px = x(p.call).toFixed(1);
      const py = y(p[key]).toFixed(1);
      if (i === 0) return `M${px} ${py}`;
      return step ? `H${px}V${py}` : `L${px} ${py}`;
    }).join('');
    if (points.length > 1) {
      parts.push(element('path', { d: `${path('inUse', false)}V${bottom}H${left}Z`,
        class: 'area', fill: SERIES[0].color }));
    }
    for (const s of SERIES) {
      parts.push(element('path', { d: path(s.key, s.key === 'memory'), class: `series ${s.key}`,
        fill: 'none', stroke: s.color, 'stroke-width': s.width, 'stroke-dasharray': s.dash,
        'stroke-linejoin': 'round' }));
    }

    const at = this.#cursorCall();
    if (at > 0) {
      const v = valuesAt(t, at);
      parts.push(element('line', { x1: x(at), x2: x(at), y1: top, y2: bottom, class: 'cursor' }));
      for (const s of SERIES) {
        parts.push(element('circle', { cx: x(at), cy: y(v[s.key]), r: 3.2, fill: '#fff',
          stroke: s.color, 'stroke-width': 1.8 }));
      }
    }
    svg.replaceChildren(...parts);
    const last = this.#shown ? valuesAt(t, this.#shown) : { call: 0, inUse: 0, heap: 0,
      memory: t.initialMemory };
    Object.assign(this.#box.dataset, { shown: this.#shown, calls: t.heap.length,
      points: points.length, last: JSON.stringify(last),
      growth: String(t.growth.filter((g) => g.call <= this.#shown).length) });
    this.#showReadout();
  }

  #cursorCall() {
    return this.#cursor ?? this.#shown;
  }

  #showReadout() {
    const t = this.#timeline;
    if (!t) {
      this.#readout.textContent = 'Run a program to see its memory.';
      return;
    }
    const at = this.#cursorCall();
    if (at === 0) {
      this.#readout.textContent = `Before the first call: memory ${exact(t.initialMemory)}.`;
      return;
    }
    const v = valuesAt(t, at);
    const grown = t.growth.filter((g) => g.call <= at).length;
    const here = t.growth.find((g) => g.call === at);
    this.#readout.textContent = `After call ${count(at)} of ${count(t.heap.length)}: in use ` +
      `${exact(v.inUse)}, heap ${exact(v.heap)}, memory ${exact(v.memory)}` +
      (here ? ' (it grew at this call)' : ` (${count(grown)} growth${grown === 1 ? '' : 's'} ` +
        'so far)') + '.';
  }

  #move(call) {
    this.#cursor = call === null ? null : Math.max(1, Math.min(this.#shown, call));
    this.draw();
  }

  #key(event) {
    if (!this.#timeline || this.#shown === 0) return;
    const at = this.#cursorCall();
    const growth = this.#timeline.growth.filter((g) => g.call <= this.#shown).map((g) => g.call);
    let to;
    switch (event.key) {
      case 'ArrowLeft': case 'ArrowDown': to = at - this.#every; break;
      case 'ArrowRight': case 'ArrowUp': to = at + this.#every; break;
      case 'Home': to = 1; break;
      case 'End': to = this.#shown; break;
      case 'PageUp': to = growth.filter((c) => c < at).at(-1) ?? at; break;
      case 'PageDown': to = growth.find((c) => c > at) ?? at; break;
      default: return;
    }
    event.preventDefault();
    this.#readout.setAttribute('aria-live', 'polite'); // what the key did is read out
    this.#move(to);
  }

  #point(event) {
    if (!this.#timeline || this.#shown === 0) return;
    const box = this.#svg.getBoundingClientRect();
    const left = MARGIN.left;
    const right = box.width - MARGIN.right;
    const fraction = (event.clientX - box.left - left) / (right - left);
    if (fraction < 0 || fraction > 1) return;
    this.#move(Math.round(fraction * this.#timeline.heap.length));
  }
}
