// Turns bench/run.js's report into bench/results/table.md and bench/results/chart.svg.
// Hand-written Markdown and SVG: no dependencies.

const short = (trace) => trace.replace(/^.*\//, '').replace(/-bal$/, ''); // the table names the set
const capital = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const pct = (x, digits = 0) => (x === undefined ? '—' : `${(100 * x).toFixed(digits)}%`);
const times = (x) => (x === undefined ? '—' : `${x.toFixed(2)}×`);
const mops = (x) => (x === undefined ? '—' : (x / 1e6).toFixed(2));
const bytes = (x) => (x === undefined ? '—' : String(x));

function row(cells) {
  return `| ${cells.join(' | ')} |\n`;
}

function header(cells, alignRightFrom = 1) {
  return row(cells) + row(cells.map((_, i) => (i < alignRightFrom ? '---' : '---:')));
}

/** One cell of a per-trace table: the value, or why there is none. */
function cell(allocator, trace, format) {
  if (allocator.status === 'missing') return 'not built';
  const p = allocator.perTrace[trace];
  if (!p) return '—';
  if (p.failure) return 'FAILED';
  return p.opsChecked === undefined ? format(p) : `${format(p)}*`; // a quick run's prefix
}

/**
 * The Markdown the README includes: what the numbers mean, then for each trace set its averages
 * and one table a measure, trace by trace.
 * @param {object} report  what bench/run.js wrote to latest.json
 * @returns {string}
 */
export function markdownTables(report) {
  let md = `<!-- written by node bench/run.js (${report.mode} run, ${report.date}); do not edit -->\n`;
  md += 'Each set of traces is averaged on its own. ' +
    `× is the ratio to ${report.baseline}; above 1 is better: more of the memory holds ` +
    'payload, or more ops a second. Utilisation is peak live payload bytes over the highest ' +
    'payload end minus `__heap_base` (heap end), or over the memory grown past `__heap_base` ' +
    '(pages). Throughput is ops over the median time of a pass, summed over traces' +
    (report.settings?.processes > 1
      ? ` (a trace's time: the median of ${report.settings.processes} processes' medians)`
      : '') + ': warm is ' +
    'repeated passes in one instance, cold a fresh instance each (memory.grow and first touch ' +
    'of pages included, so noisier). ' +
    'Code bytes: the allocator\'s `.wasm` minus the same driver\'s bump-allocator build. ' +
    `${report.machine}, Node ${report.node}.\n`;
  for (const set of report.sets) md += setTables(report, set);
  return md;
}

/** One set's heading, averages and per-trace tables. */
function setTables(report, set) {
  const traces = report.traces.filter((t) => t.set === set.name);
  const averaged = traces.filter((t) => t.averaged);
  const skipped = traces.filter((t) => !t.averaged).map((t) => short(t.name));
  const long = traces.filter((t) => t.ops > report.settings.walkingTimedMaxOps).length;
  const list = report.allocators;
  const averageOf = (a) => a.averages?.[set.name] ?? {};
  let md = `\n### ${capital(set.title)} (\`${set.dir}\`)\n\n`;
  md += `Averages over ${averaged.length} traces`;
  md += skipped.length ? ` (${skipped.join(', ')}: fewer than ${report.settings.averagedMinOps} ops, listed but not averaged)` : '';
  md += '.';
  if (long > 0) {
    md += ` First, next and best fit are checked but not timed on the ${long} traces over ` +
      `${report.settings.walkingTimedMaxOps.toLocaleString('en')} ops: walking their free lists ` +
      'takes up to 30 s a pass on some of them.';
    if (report.mode === 'quick') {
      const ops = report.settings.walkingQuickOps.toLocaleString('en');
      md += ` This quick run checked them on the first ${ops} ops of those traces (marked *), ` +
        'so they have no average.';
    }
  }
  md += '\n\n';

  md += header(['allocator', 'utilisation (heap end)', '×', 'utilisation (pages)',
    'warm Mops/s', '×', 'cold Mops/s', '×', 'code bytes']);
  for (const a of list) {
    const v = averageOf(a);
    const status = a.status === 'ok' ? null : a.status === 'missing' ? 'not built' : 'FAILED';
    md += row([a.name, status ?? pct(v.utilHeap, 1), times(v.utilRatio), status ?? pct(v.utilPages, 1),
      mops(v.warmOpsPerSec), times(v.warmRatio), mops(v.coldOpsPerSec), times(v.coldRatio),
      bytes(a.codeBytes)]);
  }

  const perTrace = (title, format, average) => {
    let t = `\n#### ${title}: ${set.name}\n\n`;
    t += header(['allocator', ...traces.map((tr) => short(tr.name)), 'average']);
    for (const a of list) {
      t += row([a.name, ...traces.map((tr) => cell(a, tr.name, format)), average(averageOf(a))]);
    }
    return t;
  };
  md += perTrace('Utilisation by trace (heap end)', (p) => pct(p.utilHeap), (v) => pct(v.utilHeap, 1));
  md += perTrace('Utilisation by trace (pages)', (p) => pct(p.utilPages), (v) => pct(v.utilPages, 1));
  if (report.mode === 'full') {
    md += perTrace(`Warm throughput by trace, × ${report.baseline}`, (p) => times(p.warmRatio),
      (v) => times(v.warmRatio));
    md += perTrace(`Cold throughput by trace, × ${report.baseline}`, (p) => times(p.coldRatio),
      (v) => times(v.coldRatio));
    md += perTrace(`Warm throughput by trace, Mops/s`, (p) => mops(p.warmOpsPerSec),
      (v) => mops(v.warmOpsPerSec));
  }
  return md;
}

const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * For each trace set, bar charts side by side, one row an allocator: average utilisation (heap
 * end, pages pale beneath) and warm throughput × the baseline (cold pale beneath); code bytes,
 * the same for every set, beside the first set only. The sets are stacked, each titled.
 * @param {object} report  what bench/run.js wrote to latest.json
 * @returns {string}  a standalone SVG document
 */
export function chartSvg(report) {
  const rowHeight = 26;
  const labelWidth = 210;
  const panelWidth = 240;
  const gap = 30;
  const blockTop = 58; // a set's title and panel titles, above its first row
  const blockBottom = 30; // the tick labels below its last row
  const width = labelWidth + 3 * (panelWidth + gap);
  const colour = (a) => (a.name === report.baseline ? '#c0392b'
    : a.name.startsWith('tagalloc') ? '#1b7f79' : a.name === 'bump' ? '#aaaaaa' : '#d68a1e');
  const blocks = report.sets.map((set, k) => {
    const list = report.allocators.filter((a) => a.averages?.[set.name] || a.status === 'ok');
    return { set, list, first: k === 0, height: blockTop + list.length * rowHeight + blockBottom };
  });
  const height = blocks.reduce((h, b) => h + b.height, 0) + 24;

  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  let y0 = 0;
  for (const block of blocks) {
    const layout = { rowHeight, labelWidth, panelWidth, gap, blockTop, colour };
    chartBlock(out, report, block, y0, layout);
    y0 += block.height;
  }
  out.push(`<text x="10" y="${height - 8}" fill="#666666">${escape(report.machine)}, Node ` +
    `${escape(report.node)}, ${escape(report.date.slice(0, 10))}; bench/results/table.md has ` +
    'every trace</text>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** One set's title, rows and panels, from y0 down. */
function chartBlock(out, report, { set, list, first }, y0, layout) {
  const { rowHeight, labelWidth, panelWidth, gap, blockTop, colour } = layout;
  const top = y0 + blockTop;
  const average = (a) => a.averages?.[set.name];
  const maxRatio = Math.max(1, ...list.flatMap((a) =>
    [average(a)?.warmRatio ?? 0, average(a)?.coldRatio ?? 0]));
  const maxBytes = Math.max(1, ...list.map((a) => (a.name === 'bump' ? 0 : a.codeBytes ?? 0)));
  const panels = [
    {
      title: 'Utilisation, average', sub: 'heap end; pale: by pages', max: 1,
      main: (a) => average(a)?.utilHeap, pale: (a) => average(a)?.utilPages, label: (x) => pct(x, 1),
      ticks: [0, 0.25, 0.5, 0.75, 1], tick: (x) => pct(x),
    },
    {
      title: `Throughput × ${report.baseline}`, sub: 'warm; pale: cold', max: maxRatio,
      main: (a) => average(a)?.warmRatio, pale: (a) => average(a)?.coldRatio, label: times,
      ticks: [0, 1, ...(maxRatio >= 2 ? [Math.floor(maxRatio)] : [])], tick: (x) => `${x}×`,
      line: 1, missing: (a) => (average(a) && report.mode === 'full' ? 'not timed' : '—'),
    },
    ...(first ? [{
      title: 'Code bytes', sub: '.wasm minus the bump build', max: maxBytes,
      main: (a) => (a.name === 'bump' ? undefined : a.codeBytes), pale: () => undefined,
      label: (x) => `${x}`, ticks: [0, maxBytes], tick: (x) => `${x}`,
    }] : []),
  ];

  out.push(`<text x="10" y="${y0 + 20}" font-size="15" font-weight="bold">tagalloc and its peers ` +
    `on ${escape(set.title)}, ${escape(set.dir)} (${report.mode} run)</text>`);
  list.forEach((a, i) => {
    const y = top + i * rowHeight;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y}" width="${labelWidth + 3 * (panelWidth + gap)}" height="${rowHeight}" fill="#f4f4f4"/>`);
    out.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end">${escape(a.name)}</text>`);
  });
  panels.forEach((p, k) => {
    const x0 = labelWidth + k * (panelWidth + gap);
    const barMax = panelWidth - 56; // room for the value label
    const scale = (v) => (Math.min(v, p.max) / p.max) * barMax;
    out.push(`<text x="${x0}" y="${top - 22}" font-weight="bold">${escape(p.title)}</text>`);
    out.push(`<text x="${x0}" y="${top - 8}" fill="#666666">${escape(p.sub)}</text>`);
    for (const t of p.ticks) {
      const x = x0 + scale(t);
      const bottom = top + list.length * rowHeight;
      out.push(`<line x1="${x}" y1="${top}" x2="${x}" y2="${bottom}" stroke="${t === p.line ? '#c0392b' : '#dddddd'}"/>`);
      out.push(`<text x="${x}" y="${bottom + 14}" text-anchor="middle" fill="#666666">${escape(p.tick(t))}</text>`);
    }
    list.forEach((a, i) => {
      const y = top + i * rowHeight;
      const main = p.main(a);
      const pale = p.pale(a);
      if (main !== undefined) {
        out.push(`<rect x="${x0}" y="${y + 5}" width="${scale(main).toFixed(1)}" height="10" fill="${colour(a)}"/>`);
        out.push(`<text x="${x0 + scale(main) + 4}" y="${y + 14}">${escape(p.label(main))}</text>`);
      } else {
        const text = escape(p.missing?.(a) ?? '—');
        out.push(`<text x="${x0}" y="${y + 14}" fill="#999999">${text}</text>`);
      }
      if (pale !== undefined) {
        out.push(`<rect x="${x0}" y="${y + 16}" width="${scale(pale).toFixed(1)}" height="5" fill="${colour(a)}" opacity="0.4"/>`);
      }
    });
  });
}
