// The page in headless Chromium (Debian's /usr/bin/chromium through playwright-core; never a
// downloaded browser): drive it through its controls and check that what it draws is the heap.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHeap, loadModule } from '../wasm/index.js';
import { parseTrace, Replayer } from '../web/trace.js';
import { launch, TRACES } from './helpers/page.js';

// The README's screenshot is rewritten only by `npm run screenshot`; a test run leaves the tree
// clean and writes its copy under build/.
const SCREENSHOT = fileURLToPath(new URL(process.env.TAGALLOC_README_SCREENSHOT
  ? '../docs/screenshot.png' : '../build/screenshot.png', import.meta.url));
const POLICIES = ['first-fit', 'next-fit', 'best-fit', 'segregated'];
const MODES = ['immediate', 'deferred'];

let chromium;
before(async () => {
  chromium = await launch();
});
after(async () => {
  await chromium?.close();
});

/** A fresh page on the server, collecting console errors, uncaught errors and failed loads. */
function open(t, hash = '') {
  return chromium.open(t, { hash });
}

/** The chunks the page draws, from the list that mirrors its canvas. */
function drawn(page) {
  return page.$$eval('#chunk-list li', (items) => items.map((li) => ({
    payload: Number(li.dataset.payload),
    size: Number(li.dataset.size),
    used: li.dataset.state === 'used',
  })));
}

function pageWalk(page) {
  return page.evaluate(() => window.heap.walk());
}

async function call(page, name, ...args) {
  const fields = {
    malloc: ['#malloc-request'],
    calloc: ['#calloc-count', '#calloc-size'],
    aligned: ['#aligned-alignment', '#aligned-request'],
    realloc: ['#realloc-pointer', '#realloc-request'],
    free: ['#free-pointer'],
  }[name];
  for (let i = 0; i < args.length; i++) await page.fill(fields[i], String(args[i]));
  await page.click(`button[data-call="${name}"]`);
}

/** Clicks the middle of a chunk on the canvas's detail strip. */
async function clickChunk(page, chunk) {
  const canvas = await page.$('#heap-canvas');
  const box = await canvas.boundingBox();
  const d = await canvas.evaluate((c) => ({ ...c.dataset }));
  const scale = Number(d.stripWidth) / (Number(d.rangeEnd) - Number(d.rangeStart));
  const middle = chunk.payload - 4 + chunk.size / 2;
  const x = Number(d.stripLeft) + (middle - Number(d.rangeStart)) * scale;
  const y = Number(d.stripTop) + Number(d.stripHeight) / 2;
  await page.mouse.click(box.x + x, box.y + y);
}

function nextFrames(page) {
  return page.evaluate(() => new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(done))));
}

async function assertDrawnIsHeap(page) {
  const walk = await pageWalk(page);
  assert.deepEqual(await drawn(page), walk, 'the drawn chunks are heap.walk()');
  assert.deepEqual(await page.evaluate(() => window.heap.check()), { ok: true });
  return walk;
}

async function replayInNode(file, options) {
  const trace = parseTrace(readFileSync(`${TRACES}${file}`, 'utf8'), file);
  const heap = await createHeap({ module: await loadModule(), ...options });
  const replayer = new Replayer(heap, trace);
  while (!replayer.done) replayer.step();
  return { heap, replayer };
}

async function replayToEnd(page) {
  await page.fill('#speed', '12'); // max
  await page.dispatchEvent('#speed', 'input');
  await page.click('#play');
  await page.waitForSelector('#trace-status[data-done="true"]');
  await nextFrames(page);
}

const usedChunks = async (page) => (await pageWalk(page)).filter((c) => c.used);
const stateAt = (walk, payload) => walk.find((c) => c.payload === payload)?.used;

test('malloc, calloc, aligned_alloc, realloc and free from the controls draw exactly heap.walk()',
  async (t) => {
    const { page, problems } = await open(t);
    await page.selectOption('#policy', 'first-fit');
    for (const request of [100, 40, 300, 24]) await call(page, 'malloc', request);
    await assertDrawnIsHeap(page);
    const used = await usedChunks(page);
    assert.equal(used.length, 4);

    await clickChunk(page, used[1]);
    assert.equal(await page.inputValue('#free-pointer'), `0x${used[1].payload.toString(16)}`);
    assert.match(await page.textContent('#selected'), /used/);
    await page.click('button[data-call="free"]');
    let walk = await assertDrawnIsHeap(page);
    assert.equal(stateAt(walk, used[1].payload), false, 'the clicked chunk is free');

    await clickChunk(page, used[2]);
    await page.keyboard.press('Delete'); // frees the selected chunk
    walk = await assertDrawnIsHeap(page);
    assert.notEqual(stateAt(walk, used[2].payload), true, 'the selected chunk is free (or merged)');
    assert.equal(walk.filter((c) => c.used).length, 2);

    await call(page, 'calloc', 3, 10);
    await call(page, 'aligned', 256, 64);
    const aligned = (await usedChunks(page)).find((c) => c.payload % 256 === 0);
    assert.ok(aligned, 'a used chunk has a 256-byte-aligned payload');
    await call(page, 'realloc', aligned.payload, 500);
    await assertDrawnIsHeap(page);
    const log = await page.textContent('#log');
    for (const text of ['malloc(100)', 'calloc(3, 10)', 'aligned_alloc(256, 64)', 'realloc(',
      'free(p2)']) {
      assert.ok(log.includes(text), `the log shows ${text}`);
    }
    await nextFrames(page);
    assert.deepEqual(problems, []);
  });

const touchingFree = (walk) => walk.some((c, i) => i > 0 && !c.used && !walk[i - 1].used);

test('the policy and coalescing selects switch the live heap, and a search shows its probes',
  async (t) => {
    const { page, problems } = await open(t);
    await page.selectOption('#policy', 'first-fit');
    await page.selectOption('#coalescing', 'deferred');
    for (const request of [64, 200, 64, 300, 64]) await call(page, 'malloc', request);
    await page.selectOption('#policy', 'best-fit');
    assert.deepEqual(await page.evaluate(() => [window.heap.policy, window.heap.coalescing]),
      ['best-fit', 'deferred']);
    const used = await usedChunks(page);
    for (const c of used.slice(1, 4)) await call(page, 'free', c.payload);
    let walk = await assertDrawnIsHeap(page);
    assert.ok(touchingFree(walk), 'deferred coalescing leaves touching free chunks apart');

    await page.selectOption('#policy', 'next-fit');
    await call(page, 'malloc', 150);
    const happened = await page.textContent('#happened');
    assert.match(happened, /Looked at \d+ free chunks?/);
    assert.match(happened, /next-fit · deferred/);
    assert.ok(await page.evaluate(() => window.heap.rover > 0), 'next fit has a rover');

    await page.selectOption('#coalescing', 'immediate');
    walk = await assertDrawnIsHeap(page);
    assert.ok(!touchingFree(walk), 'immediate coalescing leaves no free chunks touching');
    const log = await page.textContent('#log');
    assert.ok(log.includes("heap.policy = 'next-fit'"));
    assert.ok(log.includes("heap.coalescing = 'immediate'"));
    assert.deepEqual(problems, []);
  });

test('a double free and nonsense input are reported on the page, never as console errors',
  async (t) => {
    const { page, problems } = await open(t);
    for (const request of [32, 32, 32]) await call(page, 'malloc', request);
    const used = await usedChunks(page);
    await call(page, 'free', used[1].payload);
    await call(page, 'free', used[1].payload);
    assert.match(await page.textContent('#log'), /DOUBLE_FREE/);
    assert.match(await page.textContent('#happened'), /Refused/);
    assert.equal(await page.textContent('[data-stat="bad frees"]'), '1');
    await call(page, 'free', 12345);
    assert.match(await page.textContent('#log'), /INVALID_POINTER/);
    await call(page, 'malloc', 'lots');
    assert.match(await page.textContent('#log'), /not a whole number of bytes/);
    await call(page, 'malloc', 4000000000); // beyond the page's 256 MiB cap: out of memory
    assert.match(await page.textContent('#log'), /out of memory/);
    await assertDrawnIsHeap(page);
    await nextFrames(page);
    assert.deepEqual(problems, []);
  });

test('replaying short1-bal to the end leaves the chunks the same replay leaves in Node',
  async (t) => {
    const { page, problems } = await open(t);
    await page.selectOption('#policy', 'best-fit');
    await page.selectOption('#trace-select', 'short1-bal.rep');
    await page.waitForSelector('#trace-status[data-position="0"]');
    await page.click('#step');
    await page.click('#step');
    assert.equal(await page.getAttribute('#trace-status', 'data-position'), '2');
    assert.match(await page.textContent('#happened'), /ptr\[1\] = malloc\(2040\)/);
    await replayToEnd(page);
    const walk = await assertDrawnIsHeap(page);
    const node = await replayInNode('short1-bal.rep', { policy: 'best-fit' });
    assert.deepEqual(walk, node.heap.walk());
    assert.deepEqual(await page.evaluate(() => window.heap.stats()), node.heap.stats());
    assert.deepEqual(problems, []);
  });

test('a .rep file loaded from disk replays like a bundled trace', async (t) => {
  const { page, problems } = await open(t);
  await page.setInputFiles('#trace-file', `${TRACES}short2-bal.rep`);
  await page.waitForSelector('#trace-status[data-position="0"]');
  assert.match(await page.textContent('#trace-status'), /short2-bal/);
  await replayToEnd(page);
  const node = await replayInNode('short2-bal.rep', { policy: 'segregated' });
  assert.deepEqual(await assertDrawnIsHeap(page), node.heap.walk());
  assert.deepEqual(problems, []);
});

test('a large trace replays to the end in the heap view, drawn a frame at a time', async (t) => {
  const { page, problems } = await open(t);
  await page.selectOption('#trace-select', 'binary-bal.rep');
  await page.waitForSelector('#trace-status[data-position="0"]');
  await replayToEnd(page);
  const node = await replayInNode('binary-bal.rep', { policy: 'segregated' });
  assert.deepEqual(await assertDrawnIsHeap(page), node.heap.walk());
  assert.equal(await page.$$eval('#log li', (items) => items.length) <= 400, true,
    'the log keeps its last lines only');
  assert.deepEqual(problems, []);
});

test('the comparison replays binary-bal in eight heaps and tabulates a row per policy and mode',
  async (t) => {
    const { page, problems } = await open(t, '#compare');
    await page.selectOption('#compare-trace', 'binary-bal.rep');
    await page.waitForFunction(() => {
      const status = document.querySelector('#compare-status');
      return status.dataset.done === 'true' && status.textContent.includes('binary-bal');
    }, null, { timeout: 90_000 });
    const rows = await page.$$eval('#compare-table tbody tr', (trs) => trs.map((tr) => ({
      policy: tr.dataset.policy,
      coalescing: tr.dataset.coalescing,
      util: tr.querySelector('[data-column="util"]').textContent,
      peakHeap: tr.querySelector('[data-column="peakHeap"]').textContent,
      check: tr.lastElementChild.textContent,
    })));
    assert.deepEqual(rows.map((r) => `${r.policy} ${r.coalescing}`),
      POLICIES.flatMap((p) => MODES.map((m) => `${p} ${m}`)));
    for (const row of rows) {
      const { heap } = await replayInNode('binary-bal.rep', { policy: row.policy,
        coalescing: row.coalescing });
      const s = heap.stats();
      assert.equal(row.util, `${((100 * s.peakInUse) / s.peakHeap).toFixed(1)}%`,
        `${row.policy} ${row.coalescing}: utilisation is peak in use / peak heap`);
      assert.equal(row.check, 'ok');
    }
    assert.match(await page.textContent('#verdict'), /binary-bal/);
    assert.deepEqual(problems, []);
  });

test('the README screenshot shows next fit mid-trace: its probes, split and rover', async (t) => {
  const { page, problems } = await open(t);
  await page.selectOption('#policy', 'next-fit');
  await page.selectOption('#trace-select', 'amptjp-bal.rep');
  await page.waitForSelector('#trace-status[data-position="0"]');
  await page.fill('#speed', '11'); // 5,000 operations a second
  await page.dispatchEvent('#speed', 'input');
  // Plays past operation 2,700, then steps to the next search that probes several chunks
  // close together and splits the one it takes (operation 2,804 of amptjp-bal).
  await page.evaluate(() => new Promise((done) => {
    const status = document.querySelector('#trace-status');
    const play = document.querySelector('#play');
    play.click();
    const watch = () => {
      if (Number(status.dataset.position) < 2700) {
        requestAnimationFrame(watch);
        return;
      }
      play.click();
      for (let i = 0; i < 1000; i++) {
        document.querySelector('#step').click();
        const events = window.heap.events();
        const probes = events.filter((e) => e.kind === 'probe');
        const span = Math.max(...probes.map((p) => p.payload + p.size)) -
          Math.min(...probes.map((p) => p.payload));
        if (probes.length >= 5 && span < 8000 && events.some((e) => e.kind === 'split')) break;
      }
      done();
    };
    watch();
  }));
  const events = await page.evaluate(() => window.heap.events());
  const probes = events.filter((e) => e.kind === 'probe');
  const placed = events.find((e) => e.kind === 'place');
  assert.ok(probes.length >= 5, 'the replay stopped on a search with several probes');
  // Zooms in while the search's stretch of heap still fits, centred on it.
  const from = Math.min(...probes.map((p) => p.payload));
  const to = Math.max(...events.map((e) => e.payload + e.size));
  const span = async () => page.$eval('#heap-canvas', (c) =>
    Number(c.dataset.rangeEnd) - Number(c.dataset.rangeStart));
  while (await span() / 2 > (to - from) * 1.2) {
    await page.click('#zoom-in');
    await nextFrames(page);
  }
  const middle = (await pageWalk(page)).find((c) => c.payload + c.size > (from + to) / 2);
  await page.click('summary'); // the chunk list: a click there selects and centres a chunk
  await page.click(`#chunk-list li[data-payload="${middle.payload}"]`);
  await page.click('summary');
  await page.evaluate(() => window.scrollTo(0, 0));
  await nextFrames(page);
  const walk = await assertDrawnIsHeap(page);
  await clickChunk(page, walk.find((c) => c.payload === placed.payload));
  await page.mouse.move(0, 0);
  await nextFrames(page);
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
  assert.ok(readFileSync(SCREENSHOT).length > 10_000, 'the screenshot has content');
  assert.deepEqual(problems, []);
});
