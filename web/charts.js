// Small line charts on a canvas: one series a heap, x is the operation number. Axes carry their
// units and round ticks; series that coincide stay visible (a small offset, a dash pattern and a
// marker shape each).

import { count } from './format.js';
import { prepareCanvas } from './view.js';

const FONT = '10px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const MARKER_GAP = 44;   // pixels between two markers of one series
const OFFSET_STEP = 0.9; // pixels between series that would coincide

/** The marker shapes, one per fit policy; immediate coalescing fills them, deferred does not. */
export const MARKERS = ['circle', 'square', 'triangle', 'diamond'];

/** Draws marker `shape` centred on x, y, r pixels in radius; filled or hollow. */
export function drawMarker(ctx, shape, x, y, r, filled) {
  ctx.beginPath();
  if (shape === 'circle') ctx.arc(x, y, r, 0, 2 * Math.PI);
  else if (shape === 'square') ctx.rect(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7);
  else if (shape === 'triangle') {
    ctx.moveTo(x, y - r * 1.1);
    ctx.lineTo(x + r, y + r * 0.8);
    ctx.lineTo(x - r, y + r * 0.8);
    ctx.closePath();
  } else {
    ctx.moveTo(x, y - r * 1.15);
    ctx.lineTo(x + r * 1.15, y);
    ctx.lineTo(x, y + r * 1.15);
    ctx.lineTo(x - r * 1.15, y);
    ctx.closePath();
  }
  if (filled) {
    ctx.fill();
  } else {
    ctx.save();
    ctx.fillStyle = '#fff';
    ctx.fill();
    ctx.restore();
  }
  ctx.stroke();
}

/** Round integer ticks from 0 to at most max: steps of 1, 2 or 5 times a power of ten. */
export function countTicks(max, most = 5) {
  max = Math.max(1, Math.floor(max));
  let step = 1;
  for (let p = 1; ; p *= 10) {
    const s = [1, 2, 5].map((k) => k * p).find((k) => max / k <= most);
    if (s) {
      step = s;
      break;
    }
  }
  const ticks = [];
  for (let v = 0; v <= max; v += step) ticks.push(v);
  return ticks;
}

/** Byte ticks: steps of a power of two, so that every label is a round KiB or MiB; the top covers max. */
export function byteTicks(max, most = 5) {
  max = Math.max(1, max);
  let step = 1;
  while (max / step > most) step *= 2;
  const ticks = [];
  for (let v = 0; v < max + step; v += step) {
    ticks.push(v);
    if (v >= max) break;
  }
  return ticks;
}

/** A line chart that redraws from its series on each draw() call. */
export class LineChart {
  #canvas;
  #title;
  #unit;

  /**
   * @param {HTMLCanvasElement} canvas sized by CSS; drawn at the device's pixel ratio
   * @param {{ title: string, unit: 'bytes' | 'fraction' }} options the title is the canvas's
   *   heading in the page, not drawn
   */
  constructor(canvas, { title, unit }) {
    this.#canvas = canvas;
    this.#title = title;
    this.#unit = unit;
  }

  /** The chart's title, as the page's heading says it. */
  get title() {
    return this.#title;
  }

  /**
   * @param {{ color: string, dash: number[], marker: string, filled: boolean, xs: number[],
   *   ys: number[] }[]} series
   * @param {number} xMax the last operation number
   */
  draw(series, xMax) {
    const prepared = prepareCanvas(this.#canvas);
    if (!prepared) return;
    const { ctx, w, h } = prepared;
    const fraction = this.#unit === 'fraction';
    let yTicks;
    if (fraction) {
      yTicks = [0, 0.25, 0.5, 0.75, 1];
    } else {
      let yMax = 0;
      for (const s of series) for (const y of s.ys) if (y > yMax) yMax = y;
      yTicks = byteTicks(yMax || 1024);
    }
    const yMax = yTicks.at(-1);
    const yText = (v) => (fraction ? `${Math.round(v * 100)}%` : roundBytes(v));
    const xSpan = Math.max(1, xMax);
    const xTicks = countTicks(xSpan);
    const yLabel = fraction ? 'percent' : 'bytes';
    const xLabel = 'operations';
    const left = 62;
    const right = w - 14;
    const top = 8;
    const bottom = h - 30;
    ctx.font = FONT;
    ctx.strokeStyle = '#e2e8f0';
    ctx.fillStyle = '#475569';
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    const yAt = (v) => bottom - ((bottom - top) * v) / yMax;
    const xAt = (v) => left + ((right - left) * v) / xSpan;
    for (const v of yTicks) {
      const y = Math.round(yAt(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.fillText(yText(v), left - 5, y);
    }
    ctx.textBaseline = 'top';
    for (const v of xTicks) {
      const x = Math.round(xAt(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, bottom);
      ctx.lineTo(x, bottom + 3);
      ctx.stroke();
      ctx.textAlign = x > right - 12 ? 'right' : 'center';
      ctx.fillText(count(v), x > right - 12 ? right + 4 : x, bottom + 5);
    }
    // Axis names, with units: x along the bottom right, y up the left edge.
    ctx.fillStyle = '#334155';
    ctx.textAlign = 'right';
    ctx.fillText(`${xLabel} →`, right, bottom + 17);
    ctx.save();
    ctx.translate(10, (top + bottom) / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillText(yLabel, 0, 0);
    ctx.restore();
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 4, right - left, bottom - top + 8);
    ctx.clip();
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    // Series that coincide would hide each other: each sits a pixel or so from its neighbour,
    // and its markers fall at its own phase along the line.
    const n = series.length;
    series.forEach((s, k) => {
      if (!s.xs.length) return;
      const dy = (k - (n - 1) / 2) * OFFSET_STEP;
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      ctx.setLineDash(s.dash);
      ctx.beginPath();
      for (let i = 0; i < s.xs.length; i++) {
        const x = xAt(s.xs[i]);
        const y = yAt(s.ys[i]) + dy;
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.lineWidth = 1.3;
      let next = left + ((k + 0.5) * MARKER_GAP) / Math.max(1, n);
      for (let i = 0; i < s.xs.length; i++) {
        const x = xAt(s.xs[i]);
        if (x < next && i !== s.xs.length - 1) continue;
        if (x < next) break;
        drawMarker(ctx, s.marker, x, yAt(s.ys[i]) + dy, 3.2, s.filled);
        next = x + MARKER_GAP;
      }
      ctx.lineWidth = 1.6;
    });
    ctx.restore();
    ctx.setLineDash([]);
    const data = this.#canvas.dataset;
    data.xLabel = xLabel;
    data.yLabel = yLabel;
    data.xTicks = JSON.stringify(xTicks.map(count));
    data.yTicks = JSON.stringify(yTicks.map(yText));
    data.series = JSON.stringify(series.map((s, k) => ({ marker: s.marker, filled: s.filled,
      dash: s.dash.length > 0, offset: Number(((k - (n - 1) / 2) * OFFSET_STEP).toFixed(2)) })));
  }
}

/** A byte tick exactly: `768 KiB`, `1,280 KiB`, `2 MiB`; never rounded as bytes() would. */
function roundBytes(v) {
  if (v >= 1024 ** 2 && v % 1024 ** 2 === 0) return `${count(v / 1024 ** 2)} MiB`;
  if (v >= 1024 && v % 1024 === 0) return `${count(v / 1024)} KiB`;
  return `${count(v)} B`;
}
