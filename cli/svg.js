// The program's memory over time as an SVG: live requested bytes, heap size and the wasm memory
// against call number, each growth of the memory marked.

const WIDTH = 800;
const HEIGHT = 360;
const MARGIN = { left: 72, right: 16, top: 40, bottom: 44 };
const POINTS = 800; // samples a line at most
const SERIES = [
  { key: 'live', label: 'live bytes (requests)', color: '#2563eb' },
  { key: 'heap', label: 'heap size', color: '#16a34a' },
  { key: 'memory', label: 'wasm memory', color: '#9333ea' },
];

/**
 * Samples a timeline down to at most `points` rows, keeping each bucket's largest value, so
 * that no peak disappears.
 * @param {{ live: ArrayLike<number>, heap: ArrayLike<number>, memory: ArrayLike<number> }} t
 * @returns {{ call: number, live: number, heap: number, memory: number }[]}
 */
export function sampleTimeline(t, points = POINTS) {
  const n = t.live.length;
  const every = Math.max(1, Math.ceil(n / points));
  const rows = [];
  for (let from = 0; from < n; from += every) {
    const to = Math.min(n, from + every);
    const row = { call: to, live: 0, heap: 0, memory: 0 };
    for (let i = from; i < to; i++) {
      row.live = Math.max(row.live, t.live[i]);
      row.heap = Math.max(row.heap, t.heap[i]);
      row.memory = Math.max(row.memory, t.memory[i]);
    }
    rows.push(row);
  }
  return rows;
}

function niceStep(max, ticks) {
  const raw = max / ticks;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

function bytes(n) {
  if (n >= 1 << 20) return `${+(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${+(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * @param {object} timeline from recordProgram: live, heap, memory (one value a call), growth
 * @param {string} title
 * @returns {string} the SVG document
 */
export function memorySvg(timeline, title) {
  const rows = sampleTimeline(timeline);
  const calls = Math.max(1, timeline.live.length);
  const top = Math.max(1, ...rows.map((r) => Math.max(r.live, r.heap, r.memory)));
  const yStep = 2 ** Math.ceil(Math.log2(top / 5)); // bytes: steps of a power of two
  const yMax = Math.ceil(top / yStep) * yStep;
  const xStep = niceStep(calls, 6);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (call) => MARGIN.left + (call / calls) * plotW;
  const y = (v) => MARGIN.top + plotH - (v / yMax) * plotH;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" ` +
      `viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="16" font-size="13" font-weight="bold">${escape(title)}</text>`,
  ];
  for (let v = 0; v <= yMax; v += yStep) {
    out.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(v)}" y2="${y(v)}" ` +
      'stroke="#e5e7eb"/>',
    `<text x="${MARGIN.left - 6}" y="${y(v) + 4}" text-anchor="end">${bytes(v)}</text>`);
  }
  for (let c = 0; c <= calls; c += xStep) {
    out.push(`<text x="${x(c)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">` +
      `${c.toLocaleString('en')}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 8}" text-anchor="middle">` +
    'allocation call</text>');
  for (const g of timeline.growth) { // each memory.grow: a dashed mark
    out.push(`<line class="growth" x1="${x(g.call)}" x2="${x(g.call)}" y1="${MARGIN.top}" ` +
      `y2="${MARGIN.top + plotH}" stroke="#9333ea" stroke-opacity="0.35" stroke-dasharray="3 3">` +
      `<title>call ${g.call}: memory grew to ${bytes(g.memory)}</title></line>`);
  }
  for (const s of SERIES) {
    const points = [[0, rows.length ? rows[0][s.key] : 0], ...rows.map((r) => [r.call, r[s.key]])];
    out.push(`<polyline class="${s.key}" fill="none" stroke="${s.color}" stroke-width="1.5" ` +
      `points="${points.map(([c, v]) => `${x(c).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`);
  }
  SERIES.forEach((s, i) => {
    const lx = MARGIN.left + 8 + i * 190;
    out.push(`<line x1="${lx}" x2="${lx + 18}" y1="30" y2="30" stroke="${s.color}" ` +
      'stroke-width="2"/>', `<text x="${lx + 22}" y="34">${s.label}</text>`);
  });
  const lx = MARGIN.left + 8 + SERIES.length * 190;
  out.push(`<line x1="${lx}" x2="${lx + 18}" y1="30" y2="30" stroke="#9333ea" ` +
    'stroke-opacity="0.5" stroke-dasharray="3 3"/>',
  `<text x="${lx + 22}" y="34">growth (${timeline.growth.length})</text>`);
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" ` +
    'fill="none" stroke="#9ca3af"/>', '</svg>');
  return out.join('\n') + '\n';
}
