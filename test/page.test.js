// The page in Chromium, issue by issue: layout at phone to desktop widths, the header and memory
// map, searches that probe more chunks than the event log holds, and the explanations.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { call, launch, nextFrames, TRACES } from './helpers/page.js';

let chromium;
before(async () => {
  chromium = await launch();
});
after(async () => {
  await chromium?.close();
});

const VIEWPORTS = [[390, 844], [1024, 768], [1440, 900]];

/** What overflows: the document sideways, the header, and any heading whose text is clipped. */
function overflow(page) {
  return page.evaluate(() => {
    const problems = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > window.innerWidth) {
      problems.push(`the document is ${doc.scrollWidth} px wide in a ${window.innerWidth} px window`);
    }
    const header = document.querySelector('header');
    if (header.scrollWidth > header.clientWidth) {
      problems.push(`the header's content is ${header.scrollWidth} px in ${header.clientWidth} px`);
    }
    const visible = (el) => el.getClientRects().length > 0;
    for (const el of document.querySelectorAll('h1, h2, h3, th, .tabs a, summary, legend')) {
      if (!visible(el) || el.getBoundingClientRect().width <= 1) continue; // not screen-reader-only text
      if (el.scrollWidth > el.clientWidth + 1) {
        problems.push(`"${el.textContent.trim().slice(0, 40)}" is clipped ` +
          `(${el.scrollWidth} px of text in ${el.clientWidth} px)`);
      }
      const r = el.getBoundingClientRect();
      if (r.right > window.innerWidth + 1 || r.left < -1) {
        problems.push(`"${el.textContent.trim().slice(0, 40)}" sticks out of the window`);
      }
    }
    return problems;
  });
}

for (const [width, height] of VIEWPORTS) {
  test(`at ${width}x${height} the heap view fits the window and draws the heap`, async (t) => {
    const { page, problems } = await chromium.open(t, { width, height });
    await call(page, 'malloc', 100);
    await nextFrames(page);
    assert.deepEqual(await overflow(page), []);
    const canvas = await page.$eval('#heap-canvas', (c) => ({ css: c.clientWidth, px: c.width }));
    assert.ok(canvas.css > 0 && canvas.px > 0, `the heap canvas is ${canvas.css} px wide`);
    // "What happened" is wide enough to read: not one word a line.
    const happened = await page.$eval('.happened-card', (el) => el.clientWidth);
    assert.ok(happened >= Math.min(300, width - 40), `"What happened" is ${happened} px wide`);
    // The cards do not overlap each other.
    const overlaps = await page.evaluate(() => {
      const cards = [...document.querySelectorAll('#heap-view .card')]
        .map((el) => [el.className, el.getBoundingClientRect()]);
      const hits = [];
      for (let i = 0; i < cards.length; i++) {
        for (let j = i + 1; j < cards.length; j++) {
          const [a, r] = cards[i];
          const [b, s] = cards[j];
          if (r.left < s.right - 1 && s.left < r.right - 1 && r.top < s.bottom - 1 &&
            s.top < r.bottom - 1) hits.push(`${a} / ${b}`);
        }
      }
      return hits;
    });
    assert.deepEqual(overlaps, []);
    assert.deepEqual(problems, []);
  });

  test(`at ${width}x${height} the compare view fits the window`, async (t) => {
    const { page, problems } = await chromium.open(t, { width, height, hash: '#compare' });
    await page.selectOption('#compare-trace', 'short1-bal.rep');
    await page.waitForFunction(() => {
      const status = document.querySelector('#compare-status');
      return status.dataset.done === 'true' && status.textContent.includes('short1-bal');
    });
    await nextFrames(page);
    assert.deepEqual(await overflow(page), []);
    const charts = await page.$$eval('.charts canvas', (cs) => cs.map((c) => c.clientWidth));
    assert.ok(charts.every((w) => w > 0), `chart widths ${charts}`);
    assert.deepEqual(problems, []);
  });
}

test('the header follows linear memory as it grows, and the memory map says it is not to scale',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    assert.match(await page.textContent('#load-status'), /128 KiB of linear memory/);
    await call(page, 'malloc', 200000000);
    const size = await page.evaluate(() => window.heap.layout().memorySize);
    assert.ok(size > 190 * 2 ** 20);
    assert.match(await page.textContent('#load-status'), /191 MiB of linear memory/);
    assert.match(await page.textContent('#map-note'), /not to scale/);
    assert.deepEqual(problems, []);
  });

for (const width of [360, 390, 1024, 2560]) {
  test(`at ${width} px the memory map's names are whole and overlap nothing`, async (t) => {
    const { page, problems } = await chromium.open(t, { width, height: 800 });
    await call(page, 'malloc', 100);
    await call(page, 'malloc', 200000000); // heap end and memory.size a few pixels apart
    await nextFrames(page);
    const { labels, width: canvasWidth } = await page.$eval('#heap-canvas', (c) =>
      ({ labels: JSON.parse(c.dataset.labels), width: c.clientWidth }));
    assert.ok(labels.some((l) => l.text === 'heap end'));
    assert.deepEqual(labels.filter((l) => l.cut).map((l) => l.text), [], 'no name is cut');
    for (const l of labels) {
      assert.ok(l.x0 >= 0 && l.x1 <= canvasWidth, `"${l.text}" lies inside the canvas`);
    }
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i], labels[j]];
        const apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
        assert.ok(apart, `"${a.text}" and "${b.text}" overlap`);
      }
    }
    assert.deepEqual(problems, []);
  });
}

test('a malloc that probes 1,500 free chunks says so, shows its placement and draws badges ' +
  'that do not overlap', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#policy', 'first-fit');
  await page.evaluate(() => { // 1,500 holes of 32 bytes, each between two used chunks
    const small = [];
    for (let i = 0; i < 1500; i++) {
      small.push(window.heap.malloc(24));
      window.heap.malloc(24);
    }
    for (const p of small) window.heap.free(p);
  });
  await call(page, 'malloc', 4000);
  await nextFrames(page);
  const happened = await page.textContent('#happened');
  assert.match(happened, /Looked at 1,500 free chunks/);
  assert.match(happened, /and 1,492 more/);
  assert.match(happened, /lists the first 512 probes/);
  assert.match(happened, /Placed the request/);
  assert.match(await page.textContent('#log'), /probed 1,500/);
  // The three-digit badges stand apart, and the placement's check mark is among them.
  const badges = JSON.parse(await page.$eval('#heap-canvas', (c) => c.dataset.badges));
  assert.ok(badges.length > 3, `${badges.length} badges drawn`);
  assert.ok(badges.some((b) => b.text === '✓'), 'the placement is marked');
  for (let i = 1; i < badges.length; i++) {
    const [a, b] = [badges[i - 1], badges[i]].sort((p, q) => p.x0 - q.x0);
    assert.ok(a.x1 <= b.x0, `badges ${a.text} and ${b.text} overlap`);
  }
  assert.deepEqual(problems, []);
});

test('switching deferred to immediate explains the merges and stops outlining merged chunks',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await page.selectOption('#policy', 'first-fit');
    await page.selectOption('#coalescing', 'deferred');
    for (const request of [64, 64, 64, 64]) await call(page, 'malloc', request);
    const used = (await page.evaluate(() => window.heap.walk())).filter((c) => c.used);
    await call(page, 'free', used[1].payload);
    await call(page, 'free', used[2].payload);
    assert.match(await page.textContent('#happened'), /Deferred coalescing leaves/);
    await page.selectOption('#coalescing', 'immediate');
    await nextFrames(page);
    const happened = await page.textContent('#happened');
    assert.doesNotMatch(happened, /[Dd]eferred/);
    assert.match(happened, /heap.coalescing = 'immediate'/);
    assert.match(happened, /Merged touching free chunks into one of/);
    // What the page outlines still exists: each event's chunk is one of heap.walk()'s.
    const { walk, events } = await page.evaluate(() => ({ walk: window.heap.walk(),
      events: window.page?.events }));
    assert.equal(events, undefined, 'the page keeps its state to itself');
    const outlined = JSON.parse(await page.$eval('#heap-canvas', (c) => c.dataset.outlined));
    for (const o of outlined) {
      assert.ok(walk.some((c) => c.payload === o.payload && c.size === o.size),
        `the outlined ${o.kind} chunk at ${o.payload} (${o.size} B) is in the heap`);
    }
    assert.ok(outlined.some((o) => o.kind === 'merge'), 'the merge is outlined');
    assert.deepEqual(problems, []);
  });

test('aligned_alloc explains the chunk it made, not the search\'s larger request', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#policy', 'first-fit');
  await call(page, 'malloc', 100);
  await call(page, 'malloc', 1000);
  await call(page, 'malloc', 10);
  const used = (await page.evaluate(() => window.heap.walk())).filter((c) => c.used);
  await call(page, 'free', used[1].payload);
  await call(page, 'aligned', 256, 64);
  const happened = await page.textContent('#happened');
  const p = (await page.evaluate(() => window.heap.walk()))
    .find((c) => c.used && !used.some((u) => u.payload === c.payload));
  assert.equal(p.payload % 256, 0);
  assert.equal(p.size, 80);
  assert.match(happened, /Its chunk is 80 B: the 64 B request and the 4 B head tag/);
  assert.doesNotMatch(happened, /needs 144 B|352 B|too small/);
  assert.match(happened, /in front of it went back to the heap as a free chunk/);
  assert.deepEqual(problems, []);
});

test('utilisation has one definition and one name in Stats, the Compare table and the README',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await page.selectOption('#trace-select', 'short1-bal.rep');
    await page.waitForSelector('#trace-status[data-position="0"]');
    await page.fill('#speed', '12');
    await page.dispatchEvent('#speed', 'input');
    await page.click('#play');
    await page.waitForSelector('#trace-status[data-done="true"]');
    await nextFrames(page);
    const s = await page.evaluate(() => window.heap.stats());
    assert.equal(s.inUse, 0, 'short1-bal frees everything');
    const shown = await page.textContent('[data-stat="peak utilisation"]');
    assert.equal(shown, `${((100 * s.peakInUse) / s.peakHeap).toFixed(1)}%`);
    const definition = await page.getAttribute('dt[title^="Peak in use / peak heap"]', 'title');
    assert.ok(definition, 'Stats defines it');
    await page.click('#tab-compare');
    const header = await page.$eval('#compare-table th:nth-child(3)', (th) => [th.textContent,
      th.title]);
    assert.deepEqual(header, ['Peak utilisation', definition]);
    const names = await page.$$eval('#compare-table th, #stats dt, .charts h3',
      (els) => els.map((el) => el.textContent));
    assert.deepEqual(names.filter((n) => /utilisation/i.test(n) && !/^peak utilisation/i.test(n)),
      [], 'nothing else is called utilisation');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
      .replace(/\s+/g, ' ');
    assert.ok(readme.includes(`*peak utilisation*: ${definition[0].toLowerCase()}` +
      `${definition.slice(1)}`), 'the README gives the same definition');
    assert.deepEqual(problems, []);
  });

test('the comparison names a fastest heap only beyond the spread of repeated timings, and ' +
  'names a loaded file in its selector', async (t) => {
  const { page, problems } = await chromium.open(t, { hash: '#compare' });
  await page.setInputFiles('#compare-file', `${TRACES}short1-bal.rep`);
  await page.waitForFunction(() => {
    const status = document.querySelector('#compare-status');
    return status.dataset.done === 'true' && status.textContent.includes('short1-bal');
  });
  const selected = await page.$eval('#compare-trace', (s) => s.selectedOptions[0].textContent);
  assert.match(selected, /short1-bal\.rep \(loaded\)/);
  const verdict = await page.textContent('#verdict');
  assert.match(verdict, /No heap is clearly fastest/, '12 operations time as noise');
  assert.doesNotMatch(verdict, /Fastest:/);
  const speeds = await page.$$eval('[data-column="opsPerSecond"]', (tds) =>
    tds.map((td) => [td.textContent, td.className]));
  assert.equal(speeds.length, 8);
  for (const [text, cls] of speeds) {
    assert.match(text, /^[\d,]+ \([\d,]+–[\d,]+\)$/, 'median (range)');
    assert.equal(cls, '', 'no best or worst marked on noise');
  }
  assert.doesNotMatch(verdict, /\ba 8/);
  assert.deepEqual(problems, []);
});

test('sizes read with the right article', async () => {
  const { article } = await import('../web/compare.js');
  assert.deepEqual(['8 KiB', '18.5 KiB', '11 KiB', '80 KiB', '1.5 MiB', '110 KiB', '16 KiB']
    .map(article), ['an 8 KiB', 'an 18.5 KiB', 'an 11 KiB', 'an 80 KiB', 'a 1.5 MiB',
    'a 110 KiB', 'a 16 KiB']);
});

test('the free index panel lists each size class with its count, then first fit\'s list in ' +
  'address order with the rover', async (t) => {
  const { page, problems } = await chromium.open(t, { width: 1024, height: 900 });
  for (let i = 0; i < 5; i++) {
    await call(page, 'malloc', 24);
    await call(page, 'malloc', 100);
  }
  await call(page, 'malloc', 24);
  // The first request grows the heap and sits at its low end; the others are cut from the top of
  // the space: [s0][free][24][L4][s4][L3][s3][L2][s2][L1][s1][L0]
  const used = await page.evaluate(() => window.heap.walk().filter((c) => c.used)
    .map((c) => c.payload));
  const [, , l4, , , s3, , , , s1] = used;
  for (const p of [s1, s3, l4]) await call(page, 'free', p);
  await nextFrames(page);
  const rows = () => page.$$eval('#free-index ol.ix-lists > .ix-row', (els) =>
    els.map((el) => [el.dataset.bin, el.dataset.count, el.querySelectorAll('.ix-box').length]));
  assert.deepEqual(await rows(), [['2', '2', 2], ['7', '1', 1]]); // 32-byte and 112-byte classes
  assert.match(await page.$eval('#free-index', (el) => el.textContent),
    /class 2 · 32 B.*2 chunks.*bit 2 of bitmap\[0\]: 1.*class 7 · 112 B.*1 chunk/s);
  // A malloc of 24 searches class 2 and takes its newest chunk.
  await call(page, 'malloc', 24);
  await nextFrames(page);
  const searched = await page.$eval('#free-index .ix-row.searched', (el) =>
    [el.dataset.bin, el.classList.contains('taken'), el.dataset.count]);
  assert.deepEqual(searched, ['2', true, '1']);

  await page.selectOption('#policy', 'first-fit');
  await nextFrames(page);
  assert.equal(await page.$eval('#free-index', (el) => el.dataset.policy), 'first-fit');
  const list = await page.$$eval('#free-index ol.ix-lists > .ix-row', (els) => els.map((el) =>
    [el.dataset.bin, [...el.querySelectorAll('.ix-box')].map((b) => Number(b.dataset.payload))]));
  const free = await page.evaluate(() => window.heap.walk().filter((c) => !c.used)
    .map((c) => c.payload));
  assert.deepEqual(list, [['0', free]]); // one list, address order, the last chunk on it too
  assert.equal(await page.$$eval('#free-index [data-marker="rover"]', (els) => els.length), 1);
  assert.deepEqual(await page.$$eval('#free-index [data-held]', (els) => els.length), 0);
  assert.deepEqual(problems, []);
});
