// Small line charts on a canvas: one series a heap, x is the operation number.

import { bytes, count } from './format.js';
import { prepareCanvas } from './view.js';

const FONT = '10px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

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

  /**
   * @param {{ color: string, dash: number[], xs: number[], ys: number[] }[]} series
   * @param {number} xMax the last operation number
   */
  draw(series, xMax) {
    const prepared = prepareCanvas(this.#canvas);
    if (!prepared) return;
    const { ctx, w, h } = prepared;
    const fraction = this.#unit === 'fraction';
    let yMax = fraction ? 1 : 0;
    if (!fraction) {
      for (const s of series) for (const y of s.ys) if (y > yMax) yMax = y;
      yMax = niceCeiling(yMax || 1024);
    }
    const left = 54;
    const right = w - 16;
    const top = 8;
    const bottom = h - 20;
    ctx.font = FONT;
    ctx.strokeStyle = '#e2e8f0';
    ctx.fillStyle = '#64748b';
    ctx.lineWidth = 1;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      const y = Math.round(bottom - ((bottom - top) * k) / 4) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      ctx.fillText(fraction ? `${Math.round(v * 100)}%` : bytes(v), left - 5, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const xSpan = Math.max(1, xMax);
    for (let k = 0; k <= 4; k++) {
      const x = left + ((right - left) * k) / 4;
      ctx.textAlign = k === 4 ? 'right' : 'center';
      ctx.fillText(k === 0 ? '0' : count((xSpan * k) / 4), k === 4 ? right + 8 : x, bottom + 5);
    }
    ctx.save();
    ctx.beginPath();
    ctx.rect(left, top - 2, right - left, bottom - top + 4);
    ctx.clip();
    ctx.lineWidth = 1.6;
    ctx.lineJoin = 'round';
    for (const s of series) {
      if (!s.xs.length) continue;
      ctx.strokeStyle = s.color;
      ctx.setLineDash(s.dash);
      ctx.beginPath();
      for (let i = 0; i < s.xs.length; i++) {
        const x = left + ((right - left) * s.xs[i]) / xSpan;
        const y = bottom - ((bottom - top) * s.ys[i]) / yMax;
        if (i === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
    ctx.restore();
    ctx.setLineDash([]);
  }
}

/** A round top for a byte axis: 4 or 3 times a power of two, at or above n. */
function niceCeiling(n) {
  let tick = 1;
  while (tick * 4 < n) tick *= 2;
  return tick * 3 >= n ? tick * 3 : tick * 4;
}
