// Side by side: one trace replayed in eight heaps at once (four fit policies × two coalescing
// modes), a slice of operations per heap each animation frame, with live charts, each heap
// drawn to one scale, and a table at the end.

import { createHeap } from '../wasm/index.js';
import { OP_FREE, parseTrace, Replayer } from './trace.js';
import { drawChunks, prepareCanvas } from './view.js';
import { drawMarker, LineChart, MARKERS } from './charts.js';
import { bytes, count, percent } from './format.js';

const POLICIES = ['first-fit', 'next-fit', 'best-fit', 'segregated'];
const MODES = ['immediate', 'deferred'];
// Okabe and Ito's palette: next fit and best fit differ in more than red against green.
const POLICY_COLORS = {
  'first-fit': '#0072b2',
  'next-fit': '#d55e00',
  'best-fit': '#009e73',
  'segregated': '#cc79a7',
};
const POLICY_MARKERS = Object.fromEntries(POLICIES.map((p, i) => [p, MARKERS[i]]));
/** Every combination, as the settings link names it: `best-fit.deferred`. */
export const COMBINATIONS = POLICIES.flatMap((p) => MODES.map((m) => `${p}.${m}`));
const POLICY_NAMES = { 'first-fit': 'first fit', 'next-fit': 'next fit', 'best-fit': 'best fit',
  'segregated': 'segregated fit' };
const FRAME_BUDGET_MS = 12;        // replay time per animation frame, shared by the heaps
const SAMPLES = 400;               // points per chart line
const MAX_MEMORY = 256 * 1024 * 1024; // per heap: a trace asking for more fails as out of memory
const DEFAULT_TRACE = 'amptjp-bal';
const TIMED_RUNS = 5;              // timed replays per heap after the drawn one: median and range
/** The page's one utilisation, named and defined the same in Stats, here and in the README. */
export const UTILISATION = 'Peak in use / peak heap: the most bytes in use at once (chunks, ' +
  'tags included) over the largest the heap has been';

const $ = (id) => document.getElementById(id);
const CHART_IDS = { 'Heap size': 'chart-heap', 'Bytes in use': 'chart-in-use',
  'Peak utilisation so far': 'chart-util',
  'External fragmentation: 1 − largest free / free': 'chart-frag' };

/** "one heap", "3 heaps", "eight heaps". */
function heapCount(n) {
  return n === 1 ? 'one heap' : n === 8 ? 'eight heaps' : `${n} heaps`;
}

/** Offers `content` (text or a Blob) as a file download named `name`. */
export function download(name, type, content) {
  const blob = content instanceof Blob ? content : new Blob([content], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** "a 8 KiB" is wrong: an 8, an 11, an 18 and an 80-something take "an". */
export function article(phrase) {
  return /^(8|11|18|8\d)(\D|$)/.test(phrase) || /^8\d\d(\D|$)/.test(phrase)
    ? `an ${phrase}` : `a ${phrase}`;
}

/** "a, b and c". */
function listOf(items) {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** The operation count after which the trace's live requests add up to the most bytes. */
function peakDemand(trace) {
  const live = new Float64Array(trace.ids);
  let total = 0;
  let best = 0;
  let at = 0;
  for (let i = 0; i < trace.length; i++) {
    const id = trace.args[i];
    const size = trace.kinds[i] === OP_FREE ? 0 : trace.sizes[i];
    total += size - live[id];
    live[id] = size;
    if (total > best) {
      best = total;
      at = i + 1;
    }
  }
  return at;
}

export class Comparison {
  #module;
  #fetchTrace;
  #runs = [];
  #trace = null;
  #peakOp = 0;
  #every = 1;
  #charts;
  #generation = 0;
  #started = false;

  /**
   * @param {{ module: WebAssembly.Module, traces: { name: string, file: string }[],
   *   fetchTrace: (file: string) => Promise<object> }} options
   */
  constructor({ module, traces, fetchTrace }) {
    this.#module = module;
    this.#fetchTrace = fetchTrace;
    const select = $('compare-trace');
    for (const t of traces) select.add(new Option(`${t.name} · ${count(t.ops)} ops`, t.file));
    const preferred = traces.find((t) => t.name === DEFAULT_TRACE);
    if (preferred) select.value = preferred.file;
    this.#charts = {
      heapSize: new LineChart($('chart-heap'), { title: 'Heap size', unit: 'bytes' }),
      inUse: new LineChart($('chart-in-use'), { title: 'Bytes in use', unit: 'bytes' }),
      util: new LineChart($('chart-util'),
        { title: 'Peak utilisation so far', unit: 'fraction' }),
      frag: new LineChart($('chart-frag'),
        { title: 'External fragmentation: 1 − largest free / free', unit: 'fraction' }),
    };
    $('compare-run').addEventListener('click', () => this.#runSelected());
    $('compare-trace').addEventListener('change', () => this.#runSelected());
    $('compare-file').addEventListener('change', async () => {
      const input = $('compare-file');
      const file = input.files[0];
      input.value = '';
      if (!file) return;
      try {
        const trace = parseTrace(await file.text(), file.name.replace(/\.rep$/, ''));
        // The selector names what is replayed: the loaded file, until another trace is picked.
        const select = $('compare-trace');
        select.querySelector('option[data-loaded]')?.remove();
        const option = new Option(`${file.name} (loaded) · ${count(trace.length)} ops`, '');
        option.dataset.loaded = 'true';
        select.add(option, 0);
        select.value = '';
        this.run(trace);
      } catch (error) {
        this.#status(error.message);
      }
    });
    $('combos').insertAdjacentHTML('beforeend', COMBINATIONS.map((c) => {
      const [p, m] = c.split('.');
      return `<label class="combo"><input type="checkbox" value="${c}" checked>` +
        `${POLICY_NAMES[p]} · ${m}</label>`;
    }).join(''));
    $('combos').addEventListener('change', (event) => {
      if (!this.combinations.length) {
        event.target.checked = true; // at least one heap
        this.#status('Compare at least one heap: that one stays chosen.');
        return;
      }
      this.onChange?.();
      if (!this.#started) return;
      if (this.traceFile) this.#runSelected();
      else if (this.#trace) this.run(this.#trace);
    });
    $('export-csv').addEventListener('click', () =>
      download(`${this.#trace.name}-compare.csv`, 'text/csv', this.csv()));
    $('export-json').addEventListener('click', () =>
      download(`${this.#trace.name}-compare.json`, 'application/json', this.json()));
    $('export-png').addEventListener('click', () => this.#chartsPng().toBlob((blob) =>
      download(`${this.#trace.name}-charts.png`, 'image/png', blob)));
    new ResizeObserver(() => this.#draw()).observe($('compare-strips'));
  }

  /** Called when the tab opens: the first time, replays the default trace. */
  show() {
    if (!this.#started && $('compare-trace').value) this.#runSelected();
    else this.#draw();
  }

  async #runSelected() {
    const file = $('compare-trace').value;
    if (!file) return;
    $('compare-trace').querySelector('option[data-loaded]')?.remove();
    try {
      this.run(await this.#fetchTrace(file));
    } catch (error) {
      this.#status(error.message);
    }
  }

  /** Replays `trace` in eight fresh heaps, drawing once a frame until all are done. */
  async run(trace) {
    this.#started = true;
    const generation = ++this.#generation;
    this.#trace = trace;
    const n = this.combinations.length;
    $('verdict').textContent = n === COMBINATIONS.length
      ? `Replaying ${trace.name} in eight heaps: four fit policies, each with immediate and ` +
        'deferred coalescing. The charts\' x axis counts operations.'
      : `Replaying ${trace.name} in ${heapCount(n)}. The charts' x axis counts operations.`;
    this.#peakOp = peakDemand(trace);
    this.#every = Math.max(1, Math.ceil(trace.length / SAMPLES));
    const runs = [];
    for (const combination of this.combinations) {
      const [policy, coalescing] = combination.split('.');
      const heap = await createHeap({ module: this.#module, policy, coalescing,
        maxMemory: MAX_MEMORY });
      runs.push({
        policy, coalescing, heap, replayer: new Replayer(heap, trace), ms: 0, errors: 0,
        xs: [0], heapSize: [0], inUse: [0], util: [0], frag: [0], mostFree: 0, fragSum: 0,
        snapshot: null, final: null,
      });
    }
    if (generation !== this.#generation) return; // a newer run started meanwhile
    this.#runs = runs;
    this.#legend();
    this.#exports(false);
    $('compare-status').dataset.done = 'false';
    this.#table();
    this.#status(`${trace.name}: replaying ${count(trace.length)} operations in ` +
      `${heapCount(runs.length)}…`);
    const frame = () => {
      if (generation !== this.#generation) return;
      this.#frame();
      if (runs.every((r) => r.replayer.done)) this.#finish();
      else requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  }

  #frame() {
    const active = this.#runs.filter((r) => !r.replayer.done);
    const slice = FRAME_BUDGET_MS / Math.max(1, active.length);
    for (const run of active) {
      const end = performance.now() + slice;
      do this.#segment(run); while (!run.replayer.done && performance.now() < end);
    }
    this.#draw();
    this.#table();
    const done = this.#runs.reduce((n, r) => n + r.replayer.position, 0);
    const total = this.#trace.length * this.#runs.length;
    $('compare-bar').style.width = `${(100 * done) / total}%`;
  }

  // Runs to the next sample point, timing only the heap calls; then samples the stats.
  #segment(run) {
    const r = run.replayer;
    const every = this.#every;
    let stop = Math.min(r.trace.length, (Math.floor(r.position / every) + 1) * every);
    if (r.position < this.#peakOp) stop = Math.min(stop, this.#peakOp);
    const started = performance.now();
    while (r.position < stop) {
      try {
        while (r.position < stop) r.step();
      } catch {
        run.errors++; // a trace that frees what it never allocated: the heap refuses, we go on
      }
    }
    run.ms += performance.now() - started;
    if (r.position % every === 0 || r.done) {
      const s = run.heap.stats();
      run.xs.push(r.position);
      run.heapSize.push(s.heapSize);
      run.inUse.push(s.inUse);
      run.util.push(s.peakHeap ? s.peakInUse / s.peakHeap : 0); // peak utilisation so far
      const frag = s.free ? 1 - s.largestFree / s.free : 0;
      run.frag.push(frag);
      run.fragSum += frag;
      run.mostFree = Math.max(run.mostFree, s.freeChunks);
    }
    if (r.position === this.#peakOp && !run.snapshot) {
      const layout = run.heap.layout();
      run.snapshot = { chunks: run.heap.walk(), start: layout.heapStart, end: layout.heapEnd };
    }
  }

  // Times TIMED_RUNS more replays of the trace in a fresh heap per combination, interleaved so
  // that a slow moment of the machine falls on all of them alike; yields between replays.
  async #time(generation) {
    const times = this.#runs.map(() => []);
    for (let k = 0; k < TIMED_RUNS; k++) {
      for (let i = 0; i < this.#runs.length; i++) {
        const { policy, coalescing } = this.#runs[i];
        const heap = await createHeap({ module: this.#module, policy, coalescing,
          maxMemory: MAX_MEMORY });
        const replayer = new Replayer(heap, this.#trace);
        const started = performance.now();
        while (!replayer.done) {
          try {
            while (!replayer.done) replayer.step();
          } catch {
            // a refused free: the heap is unchanged and the replay goes on, as in the drawn run
          }
        }
        times[i].push(performance.now() - started);
        await new Promise((done) => setTimeout(done));
        if (generation !== this.#generation) return null;
      }
      this.#status(`${this.#trace.name}: timing, ${k + 1} of ${TIMED_RUNS} replays in each heap…`);
    }
    return times;
  }

  async #finish() {
    const generation = this.#generation;
    this.#status(`${this.#trace.name}: timing ${TIMED_RUNS} more replays in each heap…`);
    const times = await this.#time(generation);
    if (!times) return;
    this.#runs.forEach((run, i) => {
      const rates = times[i].map((ms) => (ms > 0 ? this.#trace.length / (ms / 1000) : Infinity))
        .sort((a, b) => a - b);
      run.rates = rates;
    });
    for (const run of this.#runs) {
      const s = run.heap.stats();
      run.final = {
        util: s.peakHeap ? s.peakInUse / s.peakHeap : NaN,
        payloadUtil: s.peakHeap ? run.replayer.peakRequested / s.peakHeap : NaN,
        peakHeap: s.peakHeap,
        mostFree: run.mostFree,
        endFree: s.freeChunks,
        frag: run.fragSum / Math.max(1, run.frag.length - 1),
        opsPerSecond: run.rates[Math.floor(run.rates.length / 2)], // the median
        opsLow: run.rates[0],
        opsHigh: run.rates[run.rates.length - 1],
        check: run.heap.check(),
        failures: run.replayer.failures,
      };
    }
    this.#draw();
    this.#table();
    $('compare-bar').style.width = '100%';
    this.#status(`${this.#trace.name}: done, ${count(this.#trace.length)} operations in ` +
      (this.#runs.length > 1 ? `each of ${heapCount(this.#runs.length)}.` : 'one heap.'));
    $('verdict').textContent = this.#verdict();
    this.#exports(true);
    $('compare-status').dataset.done = 'true';
  }

  /** The chosen combinations, in the table's order: `['first-fit.immediate', …]`. */
  get combinations() {
    return [...$('combos').querySelectorAll('input:checked')].map((input) => input.value);
  }

  /** Chooses the combinations to compare (unknown names are ignored; none keeps all eight). */
  set combinations(list) {
    const chosen = new Set(list.filter((c) => COMBINATIONS.includes(c)));
    for (const input of $('combos').querySelectorAll('input')) {
      input.checked = chosen.size === 0 || chosen.has(input.value);
    }
  }

  /** The comparison trace's file name, '' for a loaded file. */
  get traceFile() {
    return $('compare-trace').value;
  }

  set traceFile(file) {
    if ([...$('compare-trace').options].some((o) => o.value === file)) {
      $('compare-trace').value = file;
    }
  }

  /** The finished table as rows of plain values, one per heap. */
  results() {
    return this.#runs.filter((r) => r.final).map((r) => ({
      policy: r.policy,
      coalescing: r.coalescing,
      trace: this.#trace.name,
      operations: this.#trace.length,
      peakUtilisation: r.final.util,
      peakRequestedOverPeakHeap: r.final.payloadUtil,
      peakHeapBytes: r.final.peakHeap,
      mostFreeChunks: r.final.mostFree,
      endFreeChunks: r.final.endFree,
      meanExternalFragmentation: r.final.frag,
      operationsPerSecondMedian: Math.round(r.final.opsPerSecond),
      operationsPerSecondLow: Math.round(r.final.opsLow),
      operationsPerSecondHigh: Math.round(r.final.opsHigh),
      check: r.final.check.ok ? 'ok' : r.final.check.invariant,
      failedAllocations: r.final.failures,
    }));
  }

  /** The table as CSV: a header line of column names, then a line per heap. */
  csv() {
    const rows = this.results();
    if (!rows.length) return '';
    const names = Object.keys(rows[0]);
    const cell = (v) => (typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"`
      : String(v));
    return [names.join(','), ...rows.map((r) => names.map((k) => cell(r[k])).join(','))]
      .join('\n') + '\n';
  }

  /** The table as JSON: the trace, its length, and a row per heap. */
  json() {
    return `${JSON.stringify({ trace: this.#trace.name, operations: this.#trace.length,
      utilisation: UTILISATION, heaps: this.results() }, null, 2)}\n`;
  }

  #exports(enabled) {
    for (const id of ['export-csv', 'export-json', 'export-png']) $(id).disabled = !enabled;
  }

  // The four charts and their titles on one canvas, two by two, with the legend below.
  #chartsPng() {
    const canvases = Object.values(this.#charts).map((c) => [c, $(CHART_IDS[c.title])]);
    const cw = Math.max(...canvases.map(([, c]) => c.width));
    const ch = Math.max(...canvases.map(([, c]) => c.height));
    const dpr = window.devicePixelRatio || 1;
    const head = Math.round(24 * dpr);
    const legendH = Math.round(22 * dpr) * Math.ceil(this.#runs.length / 2);
    const out = document.createElement('canvas');
    out.width = cw * 2;
    out.height = (ch + head) * 2 + legendH + head;
    const ctx = out.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, out.width, out.height);
    ctx.fillStyle = '#0f172a';
    ctx.font = `${Math.round(13 * dpr)}px system-ui, sans-serif`;
    ctx.textBaseline = 'middle';
    canvases.forEach(([chart, canvas], i) => {
      const x = (i % 2) * cw;
      const y = Math.floor(i / 2) * (ch + head);
      ctx.fillText(`${chart.title} · ${this.#trace.name}`, x + 8 * dpr, y + head / 2);
      ctx.drawImage(canvas, x, y + head);
    });
    ctx.font = `${Math.round(12 * dpr)}px system-ui, sans-serif`;
    this.#runs.forEach((r, i) => {
      const x = (i % 2) * cw + 12 * dpr;
      const y = (ch + head) * 2 + head / 2 + Math.floor(i / 2) * 22 * dpr;
      ctx.strokeStyle = POLICY_COLORS[r.policy];
      ctx.fillStyle = POLICY_COLORS[r.policy];
      ctx.lineWidth = 2 * dpr;
      ctx.setLineDash(r.coalescing === 'deferred' ? [5 * dpr, 3 * dpr] : []);
      ctx.beginPath();
      ctx.moveTo(x, y);
      ctx.lineTo(x + 28 * dpr, y);
      ctx.stroke();
      ctx.setLineDash([]);
      drawMarker(ctx, POLICY_MARKERS[r.policy], x + 14 * dpr, y, 4 * dpr,
        r.coalescing === 'immediate');
      ctx.fillStyle = '#0f172a';
      ctx.fillText(`${POLICY_NAMES[r.policy]} · ${r.coalescing}`, x + 36 * dpr, y);
    });
    return out;
  }

  // The legend: each heap's line, dash and marker, drawn as the charts draw them.
  #legend() {
    const legend = $('series-legend');
    legend.innerHTML = this.#runs.map((r) => `<li><canvas class="legend-key" width="44" ` +
      `height="16" aria-hidden="true"></canvas>${POLICY_NAMES[r.policy]} · ${r.coalescing}</li>`)
      .join('');
    [...legend.querySelectorAll('canvas')].forEach((canvas, i) => {
      const r = this.#runs[i];
      const ctx = canvas.getContext('2d');
      ctx.strokeStyle = POLICY_COLORS[r.policy];
      ctx.fillStyle = POLICY_COLORS[r.policy];
      ctx.lineWidth = 2;
      ctx.setLineDash(r.coalescing === 'deferred' ? [5, 3] : []);
      ctx.beginPath();
      ctx.moveTo(2, 8);
      ctx.lineTo(42, 8);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1.3;
      drawMarker(ctx, POLICY_MARKERS[r.policy], 22, 8, 4, r.coalescing === 'immediate');
    });
  }

  #status(text) {
    $('compare-status').textContent = text;
  }

  #verdict() {
    const runs = this.#runs;
    const label = (r) => `${POLICY_NAMES[r.policy]} (${r.coalescing})`;
    const byUtil = [...runs].sort((a, b) => b.final.util - a.final.util);
    const best = byUtil[0];
    const worst = byUtil[byUtil.length - 1];
    const worstTies = byUtil.filter((r) => r.final.util - worst.final.util < 0.0005);
    const name = this.#trace.name;
    if (runs.length === 1) {
      return `On ${name}, ${label(best)} reached a peak utilisation of ` +
        `${percent(best.final.util)} of ${article(bytes(best.final.peakHeap))} heap. Choose ` +
        'more heaps above to compare it with others.';
    }
    let text;
    if (best.final.util - worst.final.util < 0.005) {
      text = `On ${name} every policy reaches the same peak utilisation, ${percent(best.final.util)}: ` +
        'the fragmentation is in the trace itself (its frees leave holes no later request fits), ' +
        'not in how a policy picks chunks.';
    } else {
      text = `On ${name}, ${label(best)} packs the heap tightest: at its peak ` +
        `${percent(best.final.util)} of ${article(bytes(best.final.peakHeap))} heap was in use, ` +
        `against ${percent(worst.final.util)} of ${bytes(worst.final.peakHeap)} for ` +
        `${worstTies.length > 1 ? `${listOf(worstTies.map(label))}, tied for the loosest`
          : label(worst)}.`;
      if (worst.policy === 'next-fit') {
        text += ' Next fit resumes after its last placement, so it carves new requests out of ' +
          'fresh space while the holes behind the rover wait.';
      } else if (best.policy === 'best-fit') {
        text += ' Best fit takes the smallest hole that fits, keeping the large holes whole for ' +
          'large requests.';
      }
    }
    // A winner on speed only when its slowest timed replay beats every other's fastest.
    const bySpeed = [...runs].sort((a, b) => b.final.opsPerSecond - a.final.opsPerSecond);
    const [fastest, ...rest] = bySpeed;
    if (rest.every((r) => fastest.final.opsLow > r.final.opsHigh)) {
      text += ` Fastest: ${label(fastest)}, ${count(fastest.final.opsPerSecond)} operations/s ` +
        `(median of ${TIMED_RUNS} replays; its slowest beat every other heap's fastest).`;
    } else {
      text += ` No heap is clearly fastest: over ${TIMED_RUNS} timed replays each, the ` +
        'ranges of operations/s overlap.';
    }
    return text;
  }

  #table() {
    const runs = this.#runs;
    const done = runs.length > 0 && runs.every((r) => r.final);
    const columns = [
      ['util', (f) => percent(f.util), 'max'],
      ['payloadUtil', (f) => percent(f.payloadUtil), 'max'],
      ['peakHeap', (f) => bytes(f.peakHeap), 'min'],
      ['mostFree', (f) => `${count(f.mostFree)} · ${count(f.endFree)}`, 'min'],
      ['frag', (f) => percent(f.frag), 'min'],
      ['opsPerSecond', (f) => `${count(f.opsPerSecond)} (${count(f.opsLow)}–${count(f.opsHigh)})`,
        'max'],
    ];
    const extremes = {};
    if (done) {
      for (const [key, , better] of columns) {
        const values = runs.map((r) => r.final[key]);
        const hi = Math.max(...values);
        const lo = Math.min(...values);
        if (hi - lo > Math.abs(hi) * 0.005) {
          extremes[key] = better === 'max' ? { best: hi, worst: lo } : { best: lo, worst: hi };
        }
      }
    }
    const rows = runs.map((r) => {
      const key = `<i class="key${r.coalescing === 'deferred' ? ' dashed' : ''}" ` +
        `style="color:${POLICY_COLORS[r.policy]}"></i>`;
      const cells = columns.map(([k, format]) => {
        if (!r.final) {
          if (k === 'opsPerSecond' && r.ms > 0) {
            return `<td>${count(r.replayer.position / (r.ms / 1000))}</td>`;
          }
          return '<td class="muted">…</td>';
        }
        const e = k === 'opsPerSecond' ? null : extremes[k]; // speed: the verdict says, honestly
        let cls = '';
        if (e && r.final[k] === e.best) cls = 'best';
        else if (e && r.final[k] === e.worst) cls = 'worst';
        return `<td class="${cls}" data-column="${k}">${format(r.final)}</td>`;
      });
      let check = '<td class="muted">…</td>';
      if (r.final) {
        const bad = r.final.failures ? ` (${r.final.failures} failed)` : '';
        check = r.final.check.ok ? `<td>ok${bad}</td>`
          : `<td class="worst">${r.final.check.invariant}</td>`;
      }
      return `<tr data-policy="${r.policy}" data-coalescing="${r.coalescing}">` +
        `<td>${key}${POLICY_NAMES[r.policy]}</td><td>${r.coalescing}</td>${cells.join('')}` +
        `${check}</tr>`;
    });
    const body = $('compare-table').tBodies[0];
    body.innerHTML = rows.join('');
    // Narrow screens show the table a heap a block, each value beside its column's name.
    const labels = [...$('compare-table').tHead.rows[0].cells].map((th) => th.textContent);
    for (const tr of body.rows) {
      for (const td of tr.cells) td.dataset.label = labels[td.cellIndex];
    }
  }

  #draw() {
    if ($('compare-view').hidden) return;
    this.#drawStrips();
    const xMax = this.#trace ? this.#trace.length : 1;
    for (const [key, chart] of Object.entries(this.#charts)) {
      chart.draw(this.#runs.map((r) => ({
        color: POLICY_COLORS[r.policy],
        dash: r.coalescing === 'deferred' ? [5, 3] : [],
        marker: POLICY_MARKERS[r.policy],
        filled: r.coalescing === 'immediate',
        xs: r.xs,
        ys: r[key],
      })), xMax);
    }
  }

  #drawStrips() {
    const prepared = prepareCanvas($('compare-strips'));
    if (!prepared) return;
    const { ctx, w, h } = prepared;
    const runs = this.#runs;
    if (!runs.length) return;
    const shown = runs.map((r) => {
      if (r.snapshot) return r.snapshot;
      const layout = r.heap.layout();
      return { chunks: r.heap.walk(), start: layout.heapStart, end: layout.heapEnd, live: true };
    });
    const origin = Math.min(...shown.map((s) => s.start));
    const span = Math.max(16, ...shown.map((s) => s.end - origin));
    const peak = this.#peakOp;
    const allFrozen = shown.every((s) => !s.live);
    $('strips-title').textContent = allFrozen
      ? `Each heap at the trace's peak demand (operation ${count(peak)} of ` +
        `${count(this.#trace.length)}), to one scale`
      : `Each heap, live, to one scale (each freezes at peak demand, operation ${count(peak)})`;
    const labelW = 128;
    const rightW = 66;
    const rowH = (h - 4) / runs.length;
    const stripW = w - labelW - rightW;
    ctx.font = '12px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    runs.forEach((r, i) => {
      const s = shown[i];
      const y = 2 + i * rowH;
      const mid = y + rowH / 2;
      ctx.strokeStyle = POLICY_COLORS[r.policy];
      ctx.lineWidth = 2.5;
      ctx.setLineDash(r.coalescing === 'deferred' ? [4, 2.5] : []);
      ctx.beginPath();
      ctx.moveTo(0, mid);
      ctx.lineTo(14, mid);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#0f172a';
      ctx.textAlign = 'left';
      ctx.fillText(POLICY_NAMES[r.policy], 20, mid - 7);
      ctx.fillStyle = '#64748b';
      ctx.font = '11px system-ui, sans-serif';
      ctx.fillText(r.coalescing, 20, mid + 8);
      ctx.font = '12px system-ui, sans-serif';
      const stripH = Math.min(24, rowH - 8);
      const top = mid - stripH / 2;
      ctx.fillStyle = '#f8fafc';
      ctx.fillRect(labelW, top, stripW, stripH);
      const width = ((s.end - s.start) / span) * stripW;
      if (width > 0) {
        drawChunks(ctx, s.chunks, { x: labelW + ((s.start - origin) / span) * stripW, y: top,
          width, height: stripH, start: s.start, end: s.end });
      }
      ctx.fillStyle = '#0f172a';
      ctx.textAlign = 'right';
      ctx.font = '11px ui-monospace, Menlo, Consolas, monospace';
      ctx.fillText(bytes(s.end - s.start), w - 2, mid);
      ctx.font = '12px system-ui, sans-serif';
    });
  }
}
