// The comparison's charts, its exports and the settings link; time travel in trace replay.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launch, nextFrames, TRACES } from './helpers/page.js';
import { createHeap, loadModule } from '../wasm/index.js';
import { parseTrace, Replayer } from '../web/trace.js';

let chromium;
before(async () => {
  chromium = await launch();
});
after(async () => {
  await chromium?.close();
});

const CHARTS = ['#chart-heap', '#chart-in-use', '#chart-util', '#chart-frag'];

async function compare(page, file) {
  await page.selectOption('#compare-trace', file);
  await page.waitForFunction((name) => {
    const status = document.querySelector('#compare-status');
    return status.dataset.done === 'true' && status.textContent.includes(name);
  }, file.replace(/\.rep$/, ''), { timeout: 90_000 });
  await nextFrames(page);
}

/** The heap after the first n operations of a bundled trace, replayed in Node. */
async function replayInNode(file, n, options = {}) {
  const trace = parseTrace(readFileSync(`${TRACES}${file}`, 'utf8'), file);
  const heap = await createHeap({ module: await loadModule(), policy: 'segregated',
    maxMemory: 256 * 1024 * 1024, ...options });
  const replayer = new Replayer(heap, trace);
  const perOp = [];
  while (replayer.position < n) {
    const before = heap.stats().heapSize;
    try {
      replayer.step();
    } catch {
      // a refused free, as on the page
    }
    perOp.push({ grew: heap.stats().heapSize > before, probes: heap.events().probes });
  }
  return { heap, trace, perOp };
}

const walkOf = (page) => page.evaluate(() => window.heap.walk());

async function pickTrace(page, file) {
  await page.selectOption('#trace-select', file);
  await page.waitForSelector('#trace-status[data-position="0"]');
}

test('the compare charts name their axes with units and tick whole operations at round numbers',
  async (t) => {
    const { page, problems } = await chromium.open(t, { hash: '#compare' });
    await compare(page, 'short1-bal.rep');
    for (const id of CHARTS) {
      const data = await page.$eval(id, (c) => ({ ...c.dataset }));
      assert.equal(data.xLabel, 'operations');
      assert.deepEqual(JSON.parse(data.xTicks), ['0', '5', '10'], `${id}: 12 operations`);
      assert.equal(data.yLabel, id === '#chart-heap' || id === '#chart-in-use' ? 'bytes'
        : 'percent');
    }
    await compare(page, 'amptjp-bal.rep');
    const ticks = JSON.parse(await page.$eval('#chart-heap', (c) => c.dataset.xTicks));
    assert.deepEqual(ticks, ['0', '2,000', '4,000'], '5,694 operations');
    const yTicks = JSON.parse(await page.$eval('#chart-heap', (c) => c.dataset.yTicks));
    for (const y of yTicks.slice(1)) assert.match(y, /^[\d,]+ (B|KiB|MiB)$/, `"${y}" is a whole number of its unit`);
    assert.deepEqual(problems, []);
  });

test('the eight lines differ in offset, marker and dash, so coinciding lines stay visible',
  async (t) => {
    const { page, problems } = await chromium.open(t, { hash: '#compare' });
    await compare(page, 'short1-bal.rep');
    const series = JSON.parse(await page.$eval('#chart-util', (c) => c.dataset.series));
    assert.equal(series.length, 8);
    assert.equal(new Set(series.map((s) => s.offset)).size, 8, 'each line has its own offset');
    assert.equal(new Set(series.map((s) => `${s.marker} ${s.filled}`)).size, 8,
      'each line has its own marker: a shape per policy, filled for immediate coalescing');
    assert.deepEqual(series.map((s) => s.dash), series.map((s) => !s.filled),
      'deferred coalescing is dashed');
    assert.equal(await page.$$eval('#series-legend canvas', (cs) => cs.length), 8);
    assert.deepEqual(problems, []);
  });

test('the heaps to compare are chosen with checkboxes, by keyboard too, and one stays chosen',
  async (t) => {
    const { page, problems } = await chromium.open(t, { hash: '#compare' });
    await compare(page, 'short1-bal.rep');
    const boxes = await page.$$('#combos input[type="checkbox"]');
    assert.equal(boxes.length, 8);
    for (const box of boxes.slice(2)) await box.uncheck();
    await page.focus('#combos input[value="first-fit.deferred"]');
    await page.keyboard.press('Space'); // unchecks it: first fit, immediate is left
    await page.waitForFunction(() => document.querySelector('#compare-status').dataset.done ===
      'true' && document.querySelectorAll('#compare-table tbody tr').length === 1);
    await page.uncheck('#combos input[value="first-fit.immediate"]').catch(() => {});
    assert.equal(await page.isChecked('#combos input[value="first-fit.immediate"]'), true,
      'the last heap cannot be unchecked');
    await page.check('#combos input[value="best-fit.deferred"]');
    await page.waitForFunction(() => document.querySelector('#compare-status').dataset.done ===
      'true' && document.querySelectorAll('#compare-table tbody tr').length === 2);
    const rows = await page.$$eval('#compare-table tbody tr',
      (trs) => trs.map((tr) => `${tr.dataset.policy} ${tr.dataset.coalescing}`));
    assert.deepEqual(rows, ['first-fit immediate', 'best-fit deferred']);
    assert.equal(JSON.parse(await page.$eval('#chart-heap', (c) => c.dataset.series)).length, 2);
    assert.deepEqual(problems, []);
  });

test('the comparison downloads as CSV, JSON and a PNG of the charts', async (t) => {
  const { page, problems } = await chromium.open(t, { hash: '#compare' });
  await compare(page, 'short1-bal.rep');
  const save = async (id) => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
    const stream = await download.createReadStream();
    const parts = [];
    for await (const part of stream) parts.push(part);
    return { name: download.suggestedFilename(), data: Buffer.concat(parts) };
  };
  const csv = await save('#export-csv');
  assert.equal(csv.name, 'short1-bal-compare.csv');
  const lines = csv.data.toString().trim().split('\n');
  assert.equal(lines.length, 9);
  assert.match(lines[0], /^policy,coalescing,trace,operations,peakUtilisation,/);
  assert.match(lines[1], /^first-fit,immediate,short1-bal,12,0\.\d+,/);
  const json = JSON.parse((await save('#export-json')).data.toString());
  assert.equal(json.trace, 'short1-bal');
  assert.equal(json.heaps.length, 8);
  const table = await page.$$eval('#compare-table [data-column="util"]', (tds) =>
    tds.map((td) => td.textContent));
  assert.deepEqual(json.heaps.map((h) => `${(100 * h.peakUtilisation).toFixed(1)}%`), table);
  const png = await save('#export-png');
  assert.equal(png.name, 'short1-bal-charts.png');
  assert.deepEqual([...png.data.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.deepEqual(problems, []);
});

test('the settings link restores view, policy, coalescing, traces, heaps, position and speed',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await page.selectOption('#policy', 'best-fit');
    await page.selectOption('#coalescing', 'deferred');
    await page.fill('#speed', '3');
    await page.dispatchEvent('#speed', 'input');
    await page.dispatchEvent('#speed', 'change');
    await pickTrace(page, 'binary-bal.rep');
    await page.fill('#goto-op', '40');
    await page.click('#goto');
    await page.goto(`${await page.evaluate(() => location.href.split('#')[0])}#compare`);
    await page.waitForSelector('body[data-ready="true"]');
    await compare(page, 'short2-bal.rep');
    await page.uncheck('#combos input[value="next-fit.immediate"]');
    const href = await page.$eval('#compare-view .settings-link', (a) => a.getAttribute('href'));
    assert.match(href, /#compare$/);
    const query = href.slice(0, href.indexOf('#'));
    // Settings from the first visit were lost on reload; the link holds what this page shows.
    const { page: restored } = await chromium.open(t, { query: `${query}&trace=binary-bal&at=40`
      .replace('policy=segregated', 'policy=best-fit'), hash: '#compare' });
    assert.equal(await restored.evaluate(() => location.hash), '#compare');
    assert.equal(await restored.isVisible('#compare-view'), true);
    assert.equal(await restored.inputValue('#policy'), 'best-fit');
    assert.equal(await restored.evaluate(() => window.heap.policy), 'best-fit');
    assert.equal(await restored.inputValue('#compare-trace'), 'short2-bal.rep');
    assert.equal(await restored.isChecked('#combos input[value="next-fit.immediate"]'), false);
    assert.equal(await restored.isChecked('#combos input[value="best-fit.deferred"]'), true);
    assert.equal(await restored.inputValue('#trace-select'), 'binary-bal.rep');
    assert.equal(await restored.getAttribute('#trace-status', 'data-position'), '40');
    // And the whole round trip from the heap view.
    const { page: heapPage } = await chromium.open(t);
    await heapPage.selectOption('#coalescing', 'deferred');
    await heapPage.fill('#speed', '3');
    await heapPage.dispatchEvent('#speed', 'input');
    await heapPage.dispatchEvent('#speed', 'change');
    await pickTrace(heapPage, 'binary-bal.rep');
    await heapPage.fill('#goto-op', '25');
    await heapPage.press('#goto-op', 'Enter');
    const link = await heapPage.$eval('#heap-view .settings-link', (a) => a.href);
    const walk = await walkOf(heapPage);
    const again = await chromium.browser.newPage();
    t.after(() => again.close());
    await again.goto(link);
    await again.waitForSelector('body[data-ready="true"]');
    assert.equal(await again.inputValue('#coalescing'), 'deferred');
    assert.equal(await again.inputValue('#speed'), '3');
    assert.equal(await again.getAttribute('#trace-status', 'data-position'), '25');
    assert.deepEqual(await walkOf(again), walk);
    assert.deepEqual(problems, []);
  });

test('time travel: go to an operation, step back, and scrub, each leaving the heap a fresh ' +
  'replay leaves', async (t) => {
  const { page, problems } = await chromium.open(t);
  await pickTrace(page, 'amptjp-bal.rep');
  await page.fill('#goto-op', '300');
  await page.click('#goto');
  assert.deepEqual(await walkOf(page), (await replayInNode('amptjp-bal.rep', 300)).heap.walk());
  assert.match(await page.textContent('#happened'), /ptr\[/, 'the 300th call is explained');
  await page.click('#step-back');
  assert.equal(await page.getAttribute('#trace-status', 'data-position'), '299');
  assert.deepEqual(await walkOf(page), (await replayInNode('amptjp-bal.rep', 299)).heap.walk());
  await page.focus('#step-back');
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('#trace-status', 'data-position'), '298');
  await page.focus('#scrubber');
  await page.keyboard.press('End');
  assert.equal(await page.getAttribute('#trace-status', 'data-position'), '5694');
  await page.keyboard.press('Home');
  assert.equal(await page.getAttribute('#trace-status', 'data-position'), '0');
  assert.deepEqual(await walkOf(page), []);
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getAttribute('#trace-status', 'data-position'), '1');
  assert.deepEqual(await walkOf(page), (await replayInNode('amptjp-bal.rep', 1)).heap.walk());
  assert.deepEqual(problems, []);
});

test('breakpoints stop playing after a call that grows the heap, probes more than K chunks, or ' +
  'fails', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#policy', 'first-fit');
  await pickTrace(page, 'amptjp-bal.rep');
  const { perOp } = await replayInNode('amptjp-bal.rep', 5694, { policy: 'first-fit' });
  await page.fill('#speed', '12');
  await page.dispatchEvent('#speed', 'input');
  const playUntilStop = async () => {
    const from = await page.getAttribute('#trace-status', 'data-position');
    await page.click('#play');
    // the last stop's attributes may still be there for a moment: wait for a later position
    await page.waitForFunction((before) => {
      const status = document.querySelector('#trace-status');
      return status.dataset.position !== before &&
        (status.hasAttribute('data-stopped') || status.dataset.done === 'true');
    }, from);
    return Number(await page.getAttribute('#trace-status', 'data-position'));
  };
  await page.check('#break-grow');
  const firstGrow = perOp.findIndex((o) => o.grew) + 1;
  assert.equal(await playUntilStop(), firstGrow);
  assert.match(await page.textContent('#trace-status'), /grew the heap/);
  const secondGrow = perOp.findIndex((o, i) => i >= firstGrow && o.grew) + 1;
  assert.equal(await playUntilStop(), secondGrow, 'Play goes on past the breakpoint');
  await page.uncheck('#break-grow');
  await page.check('#break-probes');
  const k = Math.floor(Math.max(...perOp.slice(secondGrow).map((o) => o.probes)) / 2);
  assert.ok(k >= 1, `first fit probes ${2 * k} chunks at most after operation ${secondGrow}`);
  await page.fill('#break-probes-k', String(k));
  const probing = perOp.findIndex((o, i) => i >= secondGrow && o.probes > k) + 1;
  assert.equal(await playUntilStop(), probing);
  assert.match(await page.textContent('#trace-status'),
    new RegExp(`probed \\d+ chunks \\(more than ${k}\\)`));
  await page.uncheck('#break-probes');
  // A trace whose third call cannot be met: 256 MiB is the page heap's most.
  await page.check('#break-fail');
  await page.setInputFiles('#trace-file', { name: 'huge.rep', mimeType: 'text/plain',
    buffer: Buffer.from('0\n2\n4\n1\na 0 100\nf 0\na 1 400000000\nf 1\n') });
  await page.waitForSelector('#trace-status[data-position="0"]');
  assert.equal(await playUntilStop(), 3);
  assert.match(await page.textContent('#trace-status'), /malloc\(400000000\) failed/);
  assert.deepEqual(problems, []);
});
