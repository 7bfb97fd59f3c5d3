// Turns walk() output into pixels. It never calls the allocator: the page hands it the chunks
// ({ payload, size, used } in address order), the heap's layout, the rover and the latest
// call's events, and it draws, to scale, the module's linear memory, the whole heap, and a
// zoomable stretch of the heap where each chunk shows its head tag, payload and foot tag.

import { bytes, exact, hex } from './format.js';

const TAG_BYTES = 4; // head and foot tags; a chunk starts 4 bytes before its payload
const MIN_SPAN = 48; // bytes across the detail strip at the deepest zoom
const EDGE = 16;     // CSS pixels left and right of the drawing
const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MONO = '10px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace';

const COLORS = {
  used: '#3b6fd8',
  usedTag: '#1d3f8f',
  usedText: '#ffffff',
  free: '#f1f4f9',
  freeHatch: '#d5dce8',
  freeEdge: '#a3b0c4',
  freeTag: '#8190a8',
  freeText: '#334155', // 5:1 on the hatching
  endTag: '#334155',
  probe: '#f59e0b',
  probeBadge: '#b45309', // white digits on it read at 5:1; the lighter probe colour would not
  place: '#16a34a',
  split: '#0d9488',
  merge: '#9333ea',
  freed: '#e11d48',
  grow: '#0284c7',
  rover: '#0f172a',
  selected: '#0f172a',
  text: '#0f172a',
  muted: '#64748b',
  connector: '#e8edf5',
  staticData: '#f3c262',
  stack: '#f0a07a',
  heap: '#c9dafa',
  low: '#e5e7eb',
};

// Vertical bands of the heap canvas, CSS pixels.
const MARK_ROW = 26; // one row of symbol names under the map: a name over an address
const BANDS = {
  map: { y: 6, h: 34 },          // linear memory, one box a region (not to scale)
  marks: { y: 44, h: 2 * MARK_ROW }, // symbol names and addresses under the map, two rows
  link1: { y: 98, h: 16 },       // the heap's box widening into the overview
  overview: { y: 114, h: 18 },   // the whole heap, fitted
  link2: { y: 132, h: 14 },      // the viewport widening into the detail strip
  lane: { y: 148, h: 16 },       // numbered marks for the chunks the latest search probed
  detail: { y: 166, h: 92 },     // the zoomable strip
  rover: { y: 260, h: 18 },      // next fit's rover
  ruler: { y: 280, h: 20 },      // addresses
};
const HEAP_CANVAS_HEIGHT = 304;
const MARK_FONT = '10px system-ui, sans-serif';

let hatchPattern = null;
function hatch(ctx) {
  if (hatchPattern) return hatchPattern;
  const tile = document.createElement('canvas');
  tile.width = tile.height = 8;
  const t = tile.getContext('2d');
  t.fillStyle = COLORS.free;
  t.fillRect(0, 0, 8, 8);
  t.strokeStyle = COLORS.freeHatch;
  t.lineWidth = 1.25;
  t.beginPath();
  t.moveTo(-2, 10); t.lineTo(10, -2);
  t.moveTo(-2, 2); t.lineTo(2, -2);
  t.moveTo(6, 10); t.lineTo(10, 6);
  t.stroke();
  hatchPattern = ctx.createPattern(tile, 'repeat');
  return hatchPattern;
}

/** The index of the last chunk starting at or before `address` (-1: none). */
function chunkIndexAt(chunks, address) {
  let lo = 0;
  let hi = chunks.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid].payload - TAG_BYTES <= address) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The chunk covering `address`, or null. */
function chunkAt(chunks, address) {
  const i = chunkIndexAt(chunks, address);
  if (i < 0) return null;
  const c = chunks[i];
  return address < c.payload - TAG_BYTES + c.size ? c : null;
}

/** The head tag a chunk carries: size | USED (1) | PREV_USED (2). Chunk 0's PREV_USED is set. */
function headTag(chunks, i) {
  const prevUsed = i === 0 || chunks[i - 1].used;
  return (chunks[i].size | (chunks[i].used ? 1 : 0) | (prevUsed ? 2 : 0)) >>> 0;
}

function mix(a, b, t) {
  const pa = parseInt(a.slice(1), 16);
  const pb = parseInt(b.slice(1), 16);
  const ch = (shift) => Math.round(((pa >> shift) & 255) * (1 - t) + ((pb >> shift) & 255) * t);
  return `rgb(${ch(16)},${ch(8)},${ch(0)})`;
}

/**
 * Draws chunks to scale into a box: addresses [start, end) across `width` pixels. Chunks
 * narrower than 2 px are blended per pixel column by how many of its bytes are used, so a
 * fragmented stretch reads as a mixture instead of flickering.
 */
export function drawChunks(ctx, chunks, box) {
  const { x, y, width, height, start, end, detail = false } = box;
  if (end <= start || width <= 0) return;
  const scale = width / (end - start);
  const columns = Math.ceil(width);
  const usedCover = new Float32Array(columns);
  const freeCover = new Float32Array(columns);
  const first = Math.max(0, chunkIndexAt(chunks, start));
  ctx.save();
  ctx.beginPath();
  ctx.rect(x, y, width, height);
  ctx.clip();
  for (let i = first; i < chunks.length; i++) {
    const c = chunks[i];
    const a = c.payload - TAG_BYTES;
    if (a >= end) break;
    const x0 = (a - start) * scale;
    const x1 = (a + c.size - start) * scale;
    if (x1 <= 0) continue;
    if (x1 - x0 >= 2) {
      drawChunkBox(ctx, chunks, i, x + x0, x + x1, y, height, scale, detail, x, x + width);
      continue;
    }
    const cover = c.used ? usedCover : freeCover;
    for (let col = Math.max(0, Math.floor(x0)); col < Math.min(columns, Math.ceil(x1)); col++) {
      cover[col] += Math.min(x1, col + 1) - Math.max(x0, col);
    }
  }
  // Columns share a few blended shades, so a dense heap costs a dozen fills, not thousands.
  const shades = new Map();
  let runKey = -1;
  let runStart = 0;
  for (let col = 0; col <= columns; col++) {
    let key = -1;
    if (col < columns) {
      const total = usedCover[col] + freeCover[col];
      if (total > 0.01) {
        key = Math.round((usedCover[col] / total) * 16) * 8 + Math.min(7, Math.round(total * 7));
      }
    }
    if (key === runKey) continue;
    if (runKey >= 0) {
      let path = shades.get(runKey);
      if (!path) shades.set(runKey, path = new Path2D());
      path.rect(x + runStart, y, col - runStart, height);
    }
    runKey = key;
    runStart = col;
  }
  for (const [key, path] of shades) {
    ctx.globalAlpha = (key % 8) / 7;
    ctx.fillStyle = mix(COLORS.free, COLORS.used, Math.floor(key / 8) / 16);
    ctx.fill(path);
  }
  ctx.globalAlpha = 1;
  ctx.restore();
}

function drawChunkBox(ctx, chunks, i, x0, x1, y, h, scale, detail, clipLeft, clipRight) {
  const c = chunks[i];
  const w = x1 - x0;
  ctx.fillStyle = c.used ? COLORS.used : hatch(ctx);
  ctx.fillRect(x0, y, w, h);
  const tagW = TAG_BYTES * scale;
  if (tagW >= 0.75) {
    ctx.fillStyle = c.used ? COLORS.usedTag : COLORS.freeTag;
    ctx.fillRect(x0, y, tagW, h);
    if (!c.used) ctx.fillRect(x1 - tagW, y, tagW, h); // only free chunks carry a foot
  }
  if (w >= 4) { // the seam between two chunks
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(x0, y, 1, h);
  }
  if (!c.used && w >= 4) {
    ctx.strokeStyle = COLORS.freeEdge;
    ctx.lineWidth = 1;
    ctx.strokeRect(x0 + 1.5, y + 0.5, w - 2, h - 1);
  }
  if (!detail) return;
  if (tagW >= 28) {
    drawTagText(ctx, 'head', headTag(chunks, i), x0, tagW, y, h);
    if (!c.used) drawTagText(ctx, 'foot', c.size, x1 - tagW, tagW, y, h);
  }
  // The label sits in the visible part of the payload.
  const inner0 = Math.max(x0 + (tagW >= 0.75 ? tagW : 0), clipLeft);
  const inner1 = Math.min(x1 - (!c.used && tagW >= 0.75 ? tagW : 0), clipRight);
  const room = inner1 - inner0;
  if (room < 30) return;
  ctx.fillStyle = c.used ? COLORS.usedText : COLORS.freeText;
  ctx.font = FONT;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  const mid = (inner0 + inner1) / 2;
  const sizeText = room >= 64 ? exact(c.size) : String(c.size);
  if (room >= 84 && h >= 44) {
    ctx.fillText(sizeText, mid, y + h / 2 - 8);
    ctx.font = MONO;
    ctx.fillText(hex(c.payload), mid, y + h / 2 + 8);
  } else {
    ctx.fillText(sizeText, mid, y + h / 2);
  }
}

function drawTagText(ctx, name, value, x, w, y, h) {
  ctx.fillStyle = '#ffffff';
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.font = '9px system-ui, sans-serif';
  const mid = x + w / 2;
  if (w >= 64) {
    ctx.fillText(name, mid, y + h / 2 - 7);
    ctx.font = MONO;
    ctx.fillText(hex(value), mid, y + h / 2 + 7);
  } else {
    ctx.fillText(name, mid, y + h / 2);
  }
}

/** Splits `total` pixels among regions by byte size, region i at least `least[i]` pixels wide. */
function proportional(sizes, total, leastWidths) {
  const widths = sizes.map(() => 0);
  const fixed = sizes.map(() => false);
  for (let round = 0; round < sizes.length; round++) {
    const freeBytes = sizes.reduce((s, v, i) => s + (fixed[i] ? 0 : v), 0);
    const freePixels = total - widths.reduce((s, v, i) => s + (fixed[i] ? v : 0), 0);
    let changed = false;
    for (let i = 0; i < sizes.length; i++) {
      if (fixed[i]) continue;
      widths[i] = freeBytes > 0 ? (sizes[i] / freeBytes) * freePixels : freePixels / sizes.length;
      const least = leastWidths[i];
      if (widths[i] < least) {
        widths[i] = least;
        fixed[i] = true;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return widths;
}

/**
 * The heap canvas: linear memory, the heap fitted, and a detail strip with zoom and pan.
 * `onHover(target, clientX, clientY)` and `onSelect(chunk | null)` report what is under the
 * pointer: a chunk, or a region of linear memory ({ region, from, to }).
 */
export class HeapView {
  #canvas;
  #state = { chunks: [], layout: null, rover: 0, roverActive: false, events: [], selected: 0 };
  #view = null; // { start, span } bytes; null follows the whole heap
  #hover = 0;
  #frame = 0;
  #width = 0;
  #regions = [];
  #drag = null;
  #onHover;
  #onSelect;
  #onDraw;

  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ onHover?: Function, onSelect?: Function, onDraw?: Function }} [handlers]
   */
  constructor(canvas, { onHover = () => {}, onSelect = () => {}, onDraw = () => {} } = {}) {
    this.#canvas = canvas;
    this.#onHover = onHover;
    this.#onSelect = onSelect;
    this.#onDraw = onDraw;
    canvas.style.height = `${HEAP_CANVAS_HEIGHT}px`;
    canvas.dataset.stripTop = String(BANDS.detail.y);
    canvas.dataset.stripHeight = String(BANDS.detail.h);
    new ResizeObserver(() => this.#schedule()).observe(canvas);
    this.#listen();
  }

  /** New heap state to draw at the next animation frame (at most one draw a frame). */
  show(state) {
    Object.assign(this.#state, state);
    this.#schedule();
  }

  /** The detail strip's address range. */
  get range() {
    const { start, end } = this.#heapRange();
    if (!this.#view) return { start, end };
    return { start: this.#view.start, end: this.#view.start + this.#view.span };
  }

  /** Bytes one CSS pixel covers in the detail strip. */
  get bytesPerPixel() {
    const { start, end } = this.range;
    return (end - start) / Math.max(1, this.#innerWidth());
  }

  /** Zooms the detail strip by `factor` (> 1 zooms in) around canvas x `at` (default: centre). */
  zoom(factor, at) {
    const heapRange = this.#heapRange();
    const heapSpan = heapRange.end - heapRange.start;
    if (heapSpan <= 0) return;
    const { start, end } = this.range;
    const span = end - start;
    const px = at ?? EDGE + this.#innerWidth() / 2;
    const anchor = start + ((px - EDGE) / this.#innerWidth()) * span;
    const newSpan = Math.min(heapSpan, Math.max(MIN_SPAN, span / factor));
    if (newSpan >= heapSpan) {
      this.#view = null;
    } else {
      this.#view = { start: anchor - ((px - EDGE) / this.#innerWidth()) * newSpan, span: newSpan };
      this.#clamp();
    }
    this.#schedule();
  }

  /** Shows the whole heap in the detail strip again. */
  fit() {
    this.#view = null;
    this.#schedule();
  }

  /** Moves the detail strip so that `address` is in its middle, keeping the zoom. */
  centre(address) {
    if (!this.#view) return;
    this.#view.start = address - this.#view.span / 2;
    this.#clamp();
    this.#schedule();
  }

  /** Draws now (normally the view draws itself once a frame after show()). */
  draw() {
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#paint();
  }

  #schedule() {
    if (!this.#frame) this.#frame = requestAnimationFrame(() => {
      this.#frame = 0;
      this.#paint();
    });
  }

  #innerWidth() {
    return Math.max(1, this.#width - 2 * EDGE);
  }

  #heapRange() {
    const layout = this.#state.layout;
    if (!layout || layout.heapEnd <= layout.heapStart) return { start: 0, end: 0 };
    return { start: layout.heapStart, end: layout.heapEnd };
  }

  #clamp() {
    const { start, end } = this.#heapRange();
    const v = this.#view;
    if (!v) return;
    if (v.span >= end - start) {
      this.#view = null;
      return;
    }
    v.start = Math.min(Math.max(v.start, start), end - v.span);
  }

  #paint() {
    const prepared = prepareCanvas(this.#canvas, HEAP_CANVAS_HEIGHT);
    if (!prepared) return;
    const cssWidth = prepared.w;
    this.#width = cssWidth;
    this.#clamp();
    const ctx = prepared.ctx;
    const { layout, chunks } = this.#state;
    if (!layout) return;
    const heapBox = this.#paintMemoryMap(ctx, layout, chunks);
    const { start, end } = this.#heapRange();
    const L = EDGE;
    const W = this.#innerWidth();
    if (end <= start) {
      this.#paintLink(ctx, heapBox.x0, heapBox.x1, BANDS.link1, L, L + W);
      ctx.fillStyle = COLORS.muted;
      ctx.font = '13px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('The heap is empty: malloc something, or replay a trace.',
        L + W / 2, BANDS.detail.y + BANDS.detail.h / 2);
      this.#onDraw();
      return;
    }
    this.#paintLink(ctx, heapBox.x0, heapBox.x1, BANDS.link1, L, L + W);
    const ov = BANDS.overview;
    drawChunks(ctx, chunks, { x: L, y: ov.y, width: W, height: ov.h, start, end });
    this.#paintEndTag(ctx, layout, { x: L, width: W, start, end, band: ov, detail: false });
    const range = this.range;
    const fullScale = W / (end - start);
    const vx0 = L + (range.start - start) * fullScale;
    const vx1 = L + (range.end - start) * fullScale;
    this.#paintEventTicks(ctx, { x: L, width: W, start, end, band: ov });
    ctx.strokeStyle = COLORS.text;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(vx0 + 0.75, ov.y - 1.25, Math.max(2, vx1 - vx0 - 1.5), ov.h + 2.5);
    this.#paintLink(ctx, vx0, vx1, BANDS.link2, L, L + W);

    const d = BANDS.detail;
    const box = { x: L, y: d.y, width: W, height: d.h, start: range.start, end: range.end };
    // The detail strip's mapping, for tests and tools: x = left + (address - start) * scale.
    Object.assign(this.#canvas.dataset, { rangeStart: String(range.start),
      rangeEnd: String(range.end), stripLeft: String(L), stripWidth: String(W) });
    drawChunks(ctx, chunks, { ...box, detail: true });
    this.#paintEndTag(ctx, layout, { x: L, width: W, start: range.start, end: range.end,
      band: d, detail: true });
    this.#paintHighlights(ctx, box);
    this.#paintRover(ctx, box);
    this.#paintRuler(ctx, box);
    this.#onDraw();
  }

  // Linear memory, one box a region. Not to scale: a 64 KiB stack beside a 200 MiB heap would
  // be invisible, so each box is at least as wide as its name (short names on narrow screens)
  // and the rest is shared by size. Symbol names and addresses go under the boundaries, in as
  // many rows as they need not to overlap. What was drawn where is in data-labels, for tests.
  #paintMemoryMap(ctx, layout, chunks) {
    const { globalBase, dataEnd, heapBase, heapEnd, memorySize, pageBytes } = layout;
    const regions = [
      { region: 'unused', name: 'unused', short: 'low', from: 0, to: globalBase,
        fill: COLORS.low },
      { region: 'static', name: 'static data', short: 'static', from: globalBase, to: dataEnd,
        fill: COLORS.staticData },
      { region: 'stack', name: 'shadow stack ↓', short: 'stack', from: dataEnd, to: heapBase,
        fill: COLORS.stack },
      { region: 'heap', name: 'heap', short: 'heap', from: heapBase,
        to: Math.max(heapBase, heapEnd), fill: COLORS.heap },
      { region: 'grown', name: 'grown, unused', short: 'grown', from: Math.max(heapBase, heapEnd),
        to: memorySize, fill: '#ffffff' },
    ];
    const L = 2; // the map takes the canvas's whole width: it needs the room for its names
    const W = Math.max(1, this.#width - 2 * L);
    const labels = [];
    // Each box holds its name over its size (the heap: both on one line).
    const textWidth = (text, font) => {
      ctx.font = font;
      return ctx.measureText(text).width;
    };
    const bold = 'bold ' + FONT;
    const need = (r, name) => r.region === 'heap'
      ? textWidth(name, bold) + textWidth(bytes(r.to - r.from), bold) + 22
      : Math.max(textWidth(name, bold), textWidth(bytes(r.to - r.from), FONT)) + 12;
    const fullWidths = regions.map((r) => need(r, r.name));
    const useShort = fullWidths.reduce((a, b) => a + b, 0) > W * 0.9;
    for (const r of regions) r.label = useShort ? r.short : r.name;
    const least = regions.map((r) => need(r, r.label));
    const widths = proportional(regions.map((r) => r.to - r.from), W, least);
    const m = BANDS.map;
    let x = L;
    for (let i = 0; i < regions.length; i++) {
      const r = regions[i];
      r.x0 = x;
      r.x1 = x + widths[i];
      x = r.x1;
      ctx.fillStyle = r.fill;
      ctx.fillRect(r.x0, m.y, widths[i], m.h);
      if (r.region === 'heap' && heapEnd > heapBase) {
        drawChunks(ctx, chunks, { x: r.x0, y: m.y + m.h - 10, width: widths[i], height: 10,
          start: heapBase, end: heapEnd });
      }
      ctx.strokeStyle = r.region === 'grown' ? '#b6c2d4' : '#ffffff';
      ctx.setLineDash(r.region === 'grown' ? [4, 3] : []);
      ctx.lineWidth = 1;
      ctx.strokeRect(r.x0 + 0.5, m.y + 0.5, widths[i] - 1, m.h - 1);
      ctx.setLineDash([]);
      ctx.fillStyle = COLORS.text;
      ctx.font = bold;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      const textY = r.region === 'heap' ? m.y + 10 : m.y + m.h / 2 - 6;
      const size = bytes(r.to - r.from);
      labels.push(fitText(ctx, r.label, r.x0 + 6, textY, widths[i] - 10));
      ctx.font = FONT;
      ctx.fillStyle = '#334155';
      if (r.region !== 'heap') {
        labels.push(fitText(ctx, size, r.x0 + 6, textY + 13, widths[i] - 10));
      } else {
        ctx.textAlign = 'right';
        ctx.font = bold;
        ctx.fillStyle = COLORS.text;
        ctx.fillText(size, r.x1 - 6, textY);
        const w = ctx.measureText(size).width;
        labels.push({ text: size, x0: r.x1 - 6 - w, x1: r.x1 - 6, y0: textY - 6, y1: textY + 6,
          cut: false });
      }
    }
    // Symbol names and addresses at the boundaries, each a two-line block centred on its
    // boundary (kept inside the canvas), in the first row where it overlaps nothing.
    const marks = [
      { name: '__global_base', at: globalBase, x: regions[1].x0 },
      { name: '__data_end', at: dataEnd, x: regions[2].x0 },
      { name: '__heap_base', at: heapBase, x: regions[3].x0 },
      { name: 'heap end', at: heapEnd, x: regions[4].x0 },
      { name: `memory.size, ${memorySize / pageBytes} pages`, at: memorySize, x: regions[4].x1 },
    ];
    const k = BANDS.marks;
    const rowRight = [];
    for (const mark of marks) {
      const w = Math.max(textWidth(mark.name, MARK_FONT), textWidth(hex(mark.at), MONO));
      const x0 = Math.min(Math.max(mark.x - w / 2, 2), this.#width - 2 - w);
      let row = rowRight.findIndex((right) => x0 >= right + 8);
      if (row < 0) row = rowRight.length;
      rowRight[row] = x0 + w;
      const y = k.y + 2 + row * MARK_ROW;
      ctx.strokeStyle = COLORS.muted;
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(Math.round(mark.x) + 0.5, m.y + m.h);
      ctx.lineTo(Math.round(mark.x) + 0.5, y);
      ctx.stroke();
      ctx.textAlign = 'left';
      ctx.textBaseline = 'top';
      ctx.fillStyle = '#ffffff'; // the leader lines of later rows pass behind the text
      ctx.fillRect(x0 - 2, y, w + 4, MARK_ROW - 2);
      ctx.fillStyle = COLORS.text;
      ctx.font = MARK_FONT;
      ctx.fillText(mark.name, x0, y + 1);
      ctx.font = MONO;
      ctx.fillStyle = COLORS.muted;
      ctx.fillText(hex(mark.at), x0, y + 12);
      labels.push({ text: mark.name, x0, x1: x0 + w, y0: y, y1: y + MARK_ROW - 2, cut: false });
    }
    this.#canvas.dataset.labels = JSON.stringify(labels.filter(Boolean));
    this.#regions = regions;
    return regions[3];
  }

  #paintLink(ctx, top0, top1, band, bottom0, bottom1) {
    ctx.fillStyle = COLORS.connector;
    ctx.beginPath();
    ctx.moveTo(top0, band.y);
    ctx.lineTo(top1, band.y);
    ctx.lineTo(bottom1, band.y + band.h);
    ctx.lineTo(bottom0, band.y + band.h);
    ctx.closePath();
    ctx.fill();
  }

  #paintEndTag(ctx, layout, { x, width, start, end, band, detail }) {
    const scale = width / (end - start);
    const a = layout.heapEnd - TAG_BYTES;
    if (a >= end || a + TAG_BYTES <= start) return;
    const x0 = x + (a - start) * scale;
    const w = Math.max(1, TAG_BYTES * scale);
    ctx.fillStyle = COLORS.endTag;
    ctx.fillRect(x0, band.y, Math.min(w, x + width - x0), band.h);
    if (detail && w >= 24) {
      ctx.fillStyle = '#ffffff';
      ctx.font = '9px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'middle';
      ctx.fillText('end', x0 + w / 2, band.y + band.h / 2);
    }
  }

  // Ticks over the overview where the latest call acted, so that it shows even when the
  // detail strip looks elsewhere.
  #paintEventTicks(ctx, { x, width, start, end, band }) {
    const scale = width / (end - start);
    const columns = new Map(); // one tick a pixel column: a search can probe a thousand chunks
    for (const e of this.#state.events) {
      const color = eventColor(e.kind);
      if (!color) continue;
      const cx = Math.round(x + (e.payload - TAG_BYTES - start +
        Math.min(e.size, end - start) / 2) * scale);
      if (e.kind !== 'probe' || !columns.has(cx)) columns.set(cx, color);
    }
    for (const [cx, color] of columns) {
      ctx.fillStyle = color;
      ctx.fillRect(cx - 1, band.y - 4, 2, 4);
    }
    const selected = this.#state.selected;
    if (selected) {
      const cx = x + (selected - TAG_BYTES - start) * scale;
      ctx.fillStyle = COLORS.selected;
      ctx.beginPath();
      ctx.moveTo(cx, band.y + band.h);
      ctx.lineTo(cx - 4, band.y + band.h + 5);
      ctx.lineTo(cx + 4, band.y + band.h + 5);
      ctx.fill();
    }
  }

  // The latest call's events over the detail strip: each probed chunk outlined (one path for
  // all of them: a search can probe a thousand) and numbered where there is room, then the
  // merges, the split, the freed chunk and the placement on top.
  #paintHighlights(ctx, box) {
    const { x, y, width, height, start, end } = box;
    const scale = width / (end - start);
    const { events, chunks, selected } = this.#state;
    ctx.save();
    ctx.beginPath();
    ctx.rect(x - 2, y - 3, width + 4, height + 6);
    ctx.clip();
    const rectOf = (payload, size, lineWidth) => {
      const x0 = x + (payload - TAG_BYTES - start) * scale;
      const w = Math.max(size * scale, 3);
      if (x0 > x + width || x0 + w < x) return null;
      return [x0 + lineWidth / 2, y + lineWidth / 2 - 1, Math.max(1, w - lineWidth),
        height - lineWidth + 2, x0 + w / 2];
    };
    const stroke = (list, color, lineWidth, dash = []) => {
      if (!list.length) return;
      ctx.strokeStyle = color;
      ctx.lineWidth = lineWidth;
      ctx.setLineDash(dash);
      ctx.beginPath();
      for (const e of list) {
        const r = rectOf(e.payload, e.size, lineWidth);
        if (r) ctx.rect(r[0], r[1], r[2], r[3]);
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    const byKind = (kind) => events.filter((e) => e.kind === kind);
    const probes = byKind('probe');
    stroke(probes, COLORS.probe, 2, [4, 2]);
    stroke(byKind('merge'), COLORS.merge, 2.5);
    stroke(byKind('split'), COLORS.split, 2.5, [5, 3]);
    stroke(byKind('free'), COLORS.freed, 2.5);
    const placed = byKind('place').map((e) => chunkAt(chunks, e.payload - TAG_BYTES) ?? e);
    stroke(placed, COLORS.place, 3);
    this.#canvas.dataset.outlined = JSON.stringify([...events.filter((e) => e.kind !== 'probe' &&
      e.kind !== 'place' && e.kind !== 'grow'), ...placed.map((c) => ({ ...c, kind: 'place' }))]
      .map(({ kind, payload, size }) => ({ kind, payload, size })));
    const hovered = chunkAt(chunks, this.#hover - TAG_BYTES);
    if (this.#hover && hovered) stroke([hovered], '#475569', 1.5);
    const chosen = chunkAt(chunks, selected - TAG_BYTES);
    if (selected && chosen) stroke([chosen], COLORS.selected, 3);
    ctx.restore();

    // Numbered badges over the probed chunks, as many as fit side by side; the placement's
    // check mark first, so that no probe badge hides it. Their boxes go to data-badges.
    const laneY = BANDS.lane.y + BANDS.lane.h / 2;
    const badges = [];
    const fits = (x0, x1) => x0 >= x - 8 && x1 <= x + width + 8 &&
      badges.every((b) => x1 + 2 <= b.x0 || b.x1 + 2 <= x0);
    for (const e of placed) {
      const r = rectOf(e.payload, e.size, 0);
      if (!r) continue;
      const half = badgeWidth(ctx, '✓') / 2;
      const cx = Math.min(Math.max(r[4], x - 8 + half), x + width + 8 - half);
      if (fits(cx - half, cx + half)) {
        drawBadge(ctx, cx, laneY, '✓', COLORS.place);
        badges.push({ text: '✓', x0: cx - half, x1: cx + half });
      }
    }
    for (let i = 0; i < probes.length; i++) {
      const r = rectOf(probes[i].payload, probes[i].size, 0);
      if (!r) continue;
      const text = String(i + 1);
      const half = badgeWidth(ctx, text) / 2;
      if (!fits(r[4] - half, r[4] + half)) continue;
      drawBadge(ctx, r[4], laneY, text, COLORS.probeBadge);
      badges.push({ text, x0: r[4] - half, x1: r[4] + half });
    }
    this.#canvas.dataset.badges = JSON.stringify(badges);
  }

  #paintRover(ctx, box) {
    const { rover, roverActive } = this.#state;
    if (!rover) return;
    const { x, width, start, end } = box;
    const scale = width / (end - start);
    const band = BANDS.rover;
    let rx = x + (rover - TAG_BYTES - start) * scale;
    const color = roverActive ? COLORS.rover : '#556275'; // 5.6:1 on white
    const label = roverActive ? 'rover: next fit resumes here' : 'rover (next fit only)';
    ctx.fillStyle = color;
    ctx.font = (roverActive ? 'bold ' : '') + FONT;
    ctx.textBaseline = 'middle';
    if (rx < x || rx > x + width) { // off screen: point to it from the edge
      const left = rx < x;
      rx = left ? x : x + width;
      ctx.textAlign = left ? 'left' : 'right';
      ctx.fillText(left ? `◀ ${label}` : `${label} ▶`, rx, band.y + band.h / 2);
      return;
    }
    ctx.beginPath();
    ctx.moveTo(rx, band.y);
    ctx.lineTo(rx - 6, band.y + 9);
    ctx.lineTo(rx + 6, band.y + 9);
    ctx.closePath();
    ctx.fill();
    const textWidth = ctx.measureText(label).width;
    const right = rx + 10 + textWidth <= x + width;
    ctx.textAlign = right ? 'left' : 'right';
    ctx.fillText(label, right ? rx + 10 : rx - 10, band.y + 6);
  }

  #paintRuler(ctx, box) {
    const { x, width, start, end } = box;
    const scale = width / (end - start);
    const band = BANDS.ruler;
    let step = 16;
    while (step * scale < 110) step *= 2;
    ctx.strokeStyle = '#94a3b8';
    ctx.fillStyle = COLORS.muted;
    ctx.font = MONO;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.beginPath();
    ctx.moveTo(x, band.y + 0.5);
    ctx.lineTo(x + width, band.y + 0.5);
    ctx.stroke();
    for (let a = Math.ceil(start / step) * step; a <= end; a += step) {
      const tx = Math.round(x + (a - start) * scale) + 0.5;
      ctx.beginPath();
      ctx.moveTo(tx, band.y);
      ctx.lineTo(tx, band.y + 5);
      ctx.stroke();
      if (tx > x + 24 && tx < x + width - 24) ctx.fillText(hex(a), tx, band.y + 7);
    }
  }

  // What the pointer is over: a chunk (in the overview or detail strip) or a memory region.
  #targetAt(px, py) {
    const { chunks } = this.#state;
    const L = EDGE;
    const W = this.#innerWidth();
    const heapRange = this.#heapRange();
    const ov = BANDS.overview;
    if (py >= BANDS.lane.y && py < BANDS.rover.y && px >= L && px <= L + W) {
      const { start, end } = this.range;
      if (end <= start) return null;
      return chunkAt(chunks, start + ((px - L) / W) * (end - start));
    }
    if (py >= ov.y - 2 && py < ov.y + ov.h + 2 && px >= L && px <= L + W) {
      const { start, end } = heapRange;
      if (end <= start) return null;
      return chunkAt(chunks, start + ((px - L) / W) * (end - start));
    }
    if (py >= BANDS.map.y && py < BANDS.map.y + BANDS.map.h) {
      const r = this.#regions.find((r) => px >= r.x0 && px < r.x1);
      if (r) return { region: r.region, name: r.name, from: r.from, to: r.to };
    }
    return null;
  }

  #listen() {
    const canvas = this.#canvas;
    const local = (event) => {
      const rect = canvas.getBoundingClientRect();
      return [event.clientX - rect.left, event.clientY - rect.top];
    };
    const inDetail = (py) => py >= BANDS.lane.y && py < BANDS.ruler.y + BANDS.ruler.h;
    const inOverview = (py) => py >= BANDS.link1.y && py < BANDS.link2.y + BANDS.link2.h;
    canvas.addEventListener('wheel', (event) => {
      const [px, py] = local(event);
      if (!inDetail(py) && !inOverview(py)) return;
      event.preventDefault();
      if (Math.abs(event.deltaX) > Math.abs(event.deltaY) && this.#view) {
        this.#view.start += event.deltaX * this.bytesPerPixel;
        this.#clamp();
        this.#schedule();
        return;
      }
      this.zoom(Math.exp(-event.deltaY * 0.0025), inDetail(py) ? px : undefined);
    }, { passive: false });
    canvas.addEventListener('pointerdown', (event) => {
      const [px, py] = local(event);
      this.#drag = { px, py, moved: false, start: this.#view?.start ?? 0,
        overview: py >= BANDS.overview.y - 4 && py < BANDS.overview.y + BANDS.overview.h + 4 };
      canvas.setPointerCapture(event.pointerId);
      if (this.#drag.overview) this.#moveViewportTo(px);
    });
    canvas.addEventListener('pointermove', (event) => {
      const [px, py] = local(event);
      const drag = this.#drag;
      if (drag) {
        if (Math.abs(px - drag.px) > 3) drag.moved = true;
        if (drag.overview) {
          this.#moveViewportTo(px);
        } else if (drag.moved && this.#view) {
          this.#view.start = drag.start - (px - drag.px) * this.bytesPerPixel;
          this.#clamp();
          this.#schedule();
        }
        return;
      }
      const target = this.#targetAt(px, py);
      const payload = target && 'payload' in target ? target.payload : 0;
      if (payload !== this.#hover) {
        this.#hover = payload;
        this.#schedule();
      }
      canvas.style.cursor = payload ? 'pointer' : inDetail(py) && this.#view ? 'grab' : 'default';
      this.#onHover(target, event.clientX, event.clientY);
    });
    canvas.addEventListener('pointerup', (event) => {
      const drag = this.#drag;
      this.#drag = null;
      if (!drag || drag.moved || drag.overview) return;
      const [px, py] = local(event);
      const target = this.#targetAt(px, py);
      this.#onSelect(target && 'payload' in target ? target : null);
    });
    canvas.addEventListener('pointerleave', () => {
      if (this.#hover) {
        this.#hover = 0;
        this.#schedule();
      }
      this.#onHover(null, 0, 0);
    });
    canvas.addEventListener('dblclick', (event) => {
      const [px, py] = local(event);
      if (inDetail(py)) this.zoom(event.shiftKey ? 0.25 : 4, px);
    });
  }

  #moveViewportTo(px) {
    if (!this.#view) return;
    const { start, end } = this.#heapRange();
    const address = start + ((px - EDGE) / this.#innerWidth()) * (end - start);
    this.centre(address);
  }
}

function eventColor(kind) {
  return { probe: COLORS.probe, place: COLORS.place, split: COLORS.split, merge: COLORS.merge,
    free: COLORS.freed }[kind];
}

const BADGE_FONT = 'bold 9px system-ui, sans-serif';

/** A badge is a circle for one character, a pill for more. */
function badgeWidth(ctx, text) {
  ctx.font = BADGE_FONT;
  return Math.max(14, ctx.measureText(text).width + 8);
}

function drawBadge(ctx, cx, cy, text, color) {
  const half = badgeWidth(ctx, text) / 2;
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.arc(cx - half + 7, cy, 7, Math.PI / 2, 3 * Math.PI / 2);
  ctx.arc(cx + half - 7, cy, 7, -Math.PI / 2, Math.PI / 2);
  ctx.closePath();
  ctx.fill();
  ctx.fillStyle = '#ffffff';
  ctx.font = BADGE_FONT;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  ctx.fillText(text, cx, cy + 0.5);
}

/** Draws text left-aligned at (x, y), cut with "…" to `room`; returns what it drew, or null. */
function fitText(ctx, text, x, y, room) {
  if (room <= 8) return { text, cut: true, x0: x, x1: x, y0: y - 6, y1: y + 6 };
  let s = text;
  let width = ctx.measureText(text).width;
  if (width > room) {
    while (s.length > 1 && ctx.measureText(s + '…').width > room) s = s.slice(0, -1);
    s += '…';
    width = ctx.measureText(s).width;
  }
  if (s.length > 1) ctx.fillText(s, x, y);
  return { text: s, cut: s !== text, x0: x, x1: x + width, y0: y - 6, y1: y + 6 };
}

/**
 * Matches a canvas's backing store to its CSS size at the device's pixel ratio and clears it,
 * with the transform in CSS pixels. Null while the canvas is not laid out.
 * @returns {{ ctx: CanvasRenderingContext2D, w: number, h: number } | null}
 */
export function prepareCanvas(canvas, h = canvas.clientHeight) {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  if (!w || !h) return null;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  return { ctx, w, h };
}
