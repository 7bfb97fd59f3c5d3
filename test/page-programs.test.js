// The page's Programs view: the bundled recording programs (bash build.sh web_programs) run under
// web/wasi.js, in Node and in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core), where they run in a worker: their output shows and their calls are drawn
// as a heap while they run, Pause holds the program itself and Stop ends it, their trace goes
// to Compare, and a module without the recording library is refused in a sentence.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { launch } from './helpers/page.js';
import { compileProgram, runProgram, traceText } from '../web/programs.js';
import { Replayer, parseTrace } from '../web/trace.js';
import { createHeap } from '../wasm/index.js';

const PROGRAMS = fileURLToPath(new URL('../web/programs/', import.meta.url));
const MODULE = fileURLToPath(new URL('../wasm/tagalloc.wasm', import.meta.url));
const LICENSE = readFileSync('/usr/share/common-licenses/GPL-3');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let session;

before(async () => {
  if (!existsSync(`${PROGRAMS}index.json`)) {
    throw new Error('web/programs/ is missing: run bash build.sh web_programs (npm test does)');
  }
  session = await launch();
});

after(() => session?.close());

/** What the Programs view shows: its status, output, exit line and chunk count. */
function shown(page) {
  return page.evaluate(() => ({
    status: document.querySelector('#program-status').textContent,
    done: document.querySelector('#program-status').dataset.done,
    output: document.querySelector('#program-output').textContent,
    stderr: [...document.querySelectorAll('#program-output .stderr')].map((s) => s.textContent)
      .join(''),
    exit: document.querySelector('#program-exit').textContent,
    calls: Number(document.querySelector('#program-status').dataset.calls),
    chunks: Number(document.querySelector('#program-chunks').dataset.count),
    walked: window.programHeap.walk().length,
    message: document.querySelector('#program-message').hidden ? null
      : document.querySelector('#program-message').textContent,
  }));
}

/** Resolves once the page has replayed every call the program has sent and, the program being
 * held, every call it will make before Play. */
function caughtUp(page) {
  return page.waitForFunction(() => {
    const status = document.querySelector('#program-status');
    const [, replayed, sent] = status.textContent.match(/: ([\d,]+) \/ ([\d,]+) calls/) ?? [];
    // every call the held program makes has arrived (the last batch is sent as it stops)
    return replayed !== undefined && replayed === sent &&
      status.dataset.calls === status.dataset.released;
  });
}

/** Sets the Programs view's speed slider to step `step` (0: one call a second, 12: unpaced). */
async function setSpeed(page, step) {
  await page.fill('#program-speed', String(step));
  await page.dispatchEvent('#program-speed', 'input');
}

/** Opens the Programs view and runs the bundled wordcount at speed step `speed`. */
async function runWordcount(t, speed, { width } = {}) {
  const { page, problems } = await session.open(t, { hash: '#programs', width });
  await page.waitForSelector('#program-select option[value="wordcount"]', { state: 'attached' });
  await page.selectOption('#program-select', 'wordcount');
  await setSpeed(page, speed);
  await page.click('#program-run');
  return { page, problems };
}

/** Drops a file on the Programs view as a drag from the desktop would. */
function drop(page, name, bytes) {
  return page.evaluate(({ name, data }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([Uint8Array.from(data)], name, { type: 'application/wasm' }));
    document.querySelector('#programs-view').dispatchEvent(new DragEvent('drop',
      { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, { name, data: [...bytes] });
}

test('tree runs under the page\'s WASI layer: it prints, writes its file, and every call is ' +
  'in its trace', async () => {
  const module = await compileProgram(readFileSync(`${PROGRAMS}tree.wasm`), 'tree');
  const run = await runProgram(module, { name: 'tree', args: ['5', 'tree.json'] });
  assert.equal(run.exitCode, 0);
  assert.equal(run.trap, null);
  const printed = run.output.filter((o) => o.fd === 1).map((o) => o.text).join('');
  const [, nodes, length] = printed.match(/^(\d+) nodes, (\d+) bytes of text/);
  assert.ok(Number(nodes) > 0);
  const written = new TextDecoder().decode(run.files.get('tree.json'));
  assert.equal(written.length, Number(length), 'the file holds the text the program measured');
  assert.equal(JSON.parse(written).name, 'node-0');
  // malloc, calloc and strdup's blocks all come back: the trace frees each id it allocates
  const trace = parseTrace(traceText(run.trace), 'tree');
  const frees = trace.kinds.filter((k) => k === 1).length;
  assert.ok(trace.length > 2 * Number(nodes), `${trace.length} operations`);
  assert.ok(frees > Number(nodes), `${frees} frees`);
});

test('a module without the recording library is refused in a sentence', async () => {
  await assert.rejects(compileProgram(readFileSync(MODULE), 'tagalloc'),
    /tagalloc was not built with the recording library: it does not import env\.tagalloc_record/);
});

test('wordcount runs in the page: its output shows, its heap is drawn, and its trace goes to ' +
  'Compare', async (t) => {
  const { page, problems } = await runWordcount(t, 0); // one call a second: still running
  assert.equal(await page.inputValue('#program-args'), 'LICENSE 10');
  await page.waitForSelector('#program-play:not([disabled])');
  await page.click('#program-play'); // pause
  await caughtUp(page);
  const paused = await shown(page);
  assert.equal(paused.done, 'false');
  const at = paused.calls;
  await page.click('#program-step');
  await page.waitForFunction((n) => Number(document.querySelector('#program-status')
    .dataset.calls) === n, at + 1);
  await page.click('#program-step');
  await page.waitForFunction((n) => Number(document.querySelector('#program-status')
    .dataset.calls) === n, at + 2);
  const stepped = await shown(page);
  assert.equal(stepped.calls, at + 2, 'Step lets one call of the program through');
  assert.ok(!stepped.output.includes('distinct'), 'the counts are printed after the words');

  await setSpeed(page, 12); // as fast as the page goes
  await page.click('#program-play');
  await page.waitForSelector('#program-status[data-done="true"]', { timeout: 60_000 });
  const end = await shown(page);
  assert.match(end.output, new RegExp(`^LICENSE: ${LICENSE.length} bytes\n`));
  const [, words, distinct] = end.output.match(/(\d+) words, (\d+) distinct/);
  const counted = LICENSE.toString('latin1').toLowerCase().match(/[a-z]+/g);
  assert.equal(Number(words), counted.length);
  assert.equal(Number(distinct), new Set(counted).size);
  const the = counted.filter((w) => w === 'the').length;
  assert.match(end.output, new RegExp(`\n *${the}  the\n`), 'the commonest word comes first');
  assert.equal(end.exit, 'exit status 0');
  assert.ok(end.chunks > 0, end.status);
  assert.equal(end.walked, end.chunks, 'the count is the drawn heap\'s');
  assert.match(end.status, /at exit the program's own heap held \d+ chunks/);

  await page.click('#program-compare');
  await page.waitForFunction(() => {
    const status = document.querySelector('#compare-status');
    return location.hash === '#compare' && status.dataset.done === 'true' &&
      status.textContent.includes('wordcount');
  }, null, { timeout: 90_000 });
  assert.equal(await page.isHidden('#programs-view'), true);
  const rows = await page.$$eval('#compare-table tbody tr', (trs) => trs.map((tr) =>
    `${tr.dataset.policy} ${tr.dataset.coalescing} ${tr.lastElementChild.textContent}`));
  assert.equal(rows.length, 8);
  for (const row of rows) assert.match(row, / ok$/);
  assert.match(await page.textContent('#compare-trace'), /wordcount \(program\)/);
  assert.deepEqual(problems, []);
});

test('a dropped module without the recording library gets a message; a dropped recording ' +
  'program runs', async (t) => {
  const { page, problems } = await session.open(t, { hash: '#programs' });
  await page.waitForSelector('#program-select option[value="tree"]', { state: 'attached' });
  await drop(page, 'tagalloc.wasm', readFileSync(MODULE));
  await page.waitForSelector('#program-message:not([hidden])');
  assert.match((await shown(page)).message,
    /^tagalloc was not built with the recording library: it does not import env\.tagalloc_record/);
  assert.equal(await page.isDisabled('#program-compare'), true);

  await page.fill('#program-args', '4');
  await setSpeed(page, 12);
  await drop(page, 'tree.wasm', readFileSync(`${PROGRAMS}tree.wasm`));
  await page.waitForSelector('#program-status[data-done="true"]', { timeout: 60_000 });
  const end = await shown(page);
  assert.equal(end.message, null, 'the message goes once a program runs');
  assert.match(end.output, /^\d+ nodes, \d+ bytes of text, checksum \d+\n\d+ nodes in all\n$/);
  assert.ok(end.chunks > 0);

  await page.setInputFiles('#program-file', { name: 'plain.wasm', mimeType: 'application/wasm',
    buffer: readFileSync(MODULE) });
  await page.waitForSelector('#program-message:not([hidden])');
  assert.match((await shown(page)).message, /^plain was not built with the recording library/);
  assert.deepEqual(problems, []);
});

test('axe-core finds no violations on the Programs view with a program\'s output and a ' +
  'message shown', async (t) => {
  const { page, problems } = await session.open(t, { hash: '#programs' });
  await setSpeed(page, 12);
  await page.selectOption('#program-select', 'tree');
  await page.click('#program-run');
  await page.waitForSelector('#program-status[data-done="true"]', { timeout: 60_000 });
  await drop(page, 'tagalloc.wasm', readFileSync(MODULE));
  await page.waitForSelector('#program-message:not([hidden])');
  await page.addScriptTag({ path: AXE });
  const { violations } = await page.evaluate(() => window.axe.run(document));
  assert.deepEqual(violations.map((v) => `${v.id}: ${v.help} ` +
    `(${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`), []);
  assert.deepEqual(problems, []);
});

/** What the memory chart shows: its series, growth marks, last point, readout and summary. */
function chart(page) {
  return page.evaluate(() => {
    const box = document.querySelector('#program-memory');
    const summary = document.querySelector('#program-memory-summary');
    return {
      series: [...box.querySelectorAll('path.series')].map((p) => ({
        key: p.classList[1], points: (p.getAttribute('d').match(/[MLHV]/g) ?? []).length })),
      growth: [...box.querySelectorAll('line.growth')].map((l) => ({
        call: Number(l.dataset.call), memory: Number(l.dataset.memory) })),
      shown: Number(box.dataset.shown),
      calls: Number(box.dataset.calls),
      last: JSON.parse(box.dataset.last),
      readout: document.querySelector('#program-memory-readout').textContent,
      summary: summary.textContent,
      summaryData: { ...summary.dataset },
      legend: [...document.querySelectorAll('.memory-legend li')].map((li) => li.textContent),
      overflow: document.scrollingElement.scrollWidth - window.innerWidth,
      width: box.getBoundingClientRect().width,
    };
  });
}

test('the memory chart draws wordcount\'s own records: in use, heap size and memory against ' +
  'call number, its growth marked, its last point the heap the program ended with',
async (t) => {
  const p = JSON.parse(readFileSync(`${PROGRAMS}index.json`)).find((x) => x.name === 'wordcount');
  const files = new Map(Object.entries(p.files).map(([name, file]) =>
    [name, readFileSync(`${PROGRAMS}${file}`)]));
  const run = await runProgram(await compileProgram(readFileSync(`${PROGRAMS}${p.file}`),
    'wordcount'), { name: 'wordcount', args: p.args, files });
  const { timeline } = run;
  assert.equal(timeline.heap.length, run.calls, 'one record a call');
  assert.ok(timeline.growth.length >= 1, 'wordcount grows its memory');
  // the chunks it reported at exit lie in the heap the last record measured
  const chunkBytes = run.chunks.reduce((n, c) => n + c.size, 0);
  assert.ok(chunkBytes <= timeline.heap.at(-1) && timeline.heap.at(-1) - chunkBytes < 16,
    `${chunkBytes} bytes of chunks in a heap of ${timeline.heap.at(-1)}`);
  assert.equal(run.chunks.filter((c) => c.used).reduce((n, c) => n + c.size, 0),
    timeline.inUse.at(-1));

  for (const width of [390, 1024, 1440]) {
    // 2,000 calls a second: caught halfway
    const { page, problems } = await runWordcount(t, 10, { width });
    await page.waitForFunction(() => Number(document.querySelector('#program-memory')
      .dataset.shown) > 400);
    await page.click('#program-play'); // pause
    const halfway = await chart(page);
    assert.ok(halfway.shown <= halfway.calls && halfway.calls < run.calls,
      `${halfway.shown} of ${halfway.calls} calls shown, of ${run.calls} in all`);
    assert.deepEqual(halfway.last, { call: halfway.shown, inUse: timeline.inUse[halfway.shown - 1],
      heap: timeline.heap[halfway.shown - 1], memory: timeline.memory[halfway.shown - 1] },
    'the chart follows the replay with the program\'s own values');

    await setSpeed(page, 12);
    await page.click('#program-play');
    await page.waitForSelector('#program-status[data-done="true"]', { timeout: 60_000 });
    const end = await chart(page);
    assert.deepEqual(end.series.map((s) => s.key), ['inUse', 'heap', 'memory']);
    for (const s of end.series) assert.ok(s.points > 2, `${s.key}: ${s.points} points`);
    assert.deepEqual(end.legend, ['in use', 'heap size', 'wasm memory', 'memory grew']);
    assert.deepEqual(end.growth, timeline.growth);
    assert.equal(end.shown, run.calls);
    assert.deepEqual(end.last, { call: run.calls, inUse: timeline.inUse.at(-1),
      heap: timeline.heap.at(-1), memory: timeline.memory.at(-1) });
    assert.equal(Number(end.summaryData.heap), end.last.heap);
    assert.equal(Number(end.summaryData.growth), timeline.growth.length);
    const heapText = `heap ${end.last.heap.toLocaleString('en')} B`;
    assert.ok(end.summary.includes(`at exit: ${heapText}`), end.summary);
    assert.ok(end.readout.includes(heapText), end.readout);
    assert.ok(end.overflow <= 0, `${end.overflow} px of sideways scrolling at ${width} px`);
    assert.ok(end.width > 300, `${end.width} px wide at ${width} px`);

    // the keyboard reaches every call and every growth
    await page.focus('#program-memory');
    await page.keyboard.press('Home');
    assert.match((await chart(page)).readout, /^After call 1 of /);
    await page.keyboard.press('PageDown');
    const grew = await chart(page);
    const first = timeline.growth[0];
    assert.match(grew.readout, new RegExp(`^After call ${first.call.toLocaleString('en')} .*` +
      `memory ${first.memory.toLocaleString('en')} B \\(it grew at this call\\)`));
    await page.keyboard.press('End');
    assert.equal((await chart(page)).readout, end.readout);
    if (width === 390) {
      await page.addScriptTag({ path: AXE });
      const { violations } = await page.evaluate(() => window.axe.run('#programs-view'));
      assert.deepEqual(violations.map((v) => `${v.id}: ${v.help}`), []);
    }
    assert.deepEqual(problems, []);
  }
});

test('a paused program really stops: its calls and output stop growing while paused and go on ' +
  'after Play, and the heap and chart are those of its calls so far', async (t) => {
  const p = JSON.parse(readFileSync(`${PROGRAMS}index.json`)).find((x) => x.name === 'wordcount');
  const files = new Map(Object.entries(p.files).map(([name, file]) =>
    [name, readFileSync(`${PROGRAMS}${file}`)]));
  const run = await runProgram(await compileProgram(readFileSync(`${PROGRAMS}${p.file}`),
    'wordcount'), { name: 'wordcount', args: p.args, files });

  const { page, problems } = await runWordcount(t, 10); // 2,000 calls a second
  await page.waitForFunction(() => Number(document.querySelector('#program-status')
    .dataset.calls) > 1000);
  await page.click('#program-play'); // pause
  await caughtUp(page);
  const paused = await shown(page);
  assert.ok(paused.calls < run.calls, `paused after ${paused.calls} of ${run.calls} calls`);
  assert.match(paused.status, /· paused$/);
  assert.match(paused.output, /^LICENSE: \d+ bytes\n$/, 'the counts come at the end');
  await new Promise((done) => setTimeout(done, 800));
  const later = await shown(page);
  assert.equal(later.calls, paused.calls, 'the program made no call while paused');
  assert.equal(later.output, paused.output, 'nor printed');
  assert.equal(later.status, paused.status);

  // the page's heap is the replay of the program's first calls, and the chart their records
  const heap = await createHeap({ policy: 'segregated' });
  const replayer = new Replayer(heap, parseTrace(traceText(run.trace), 'wordcount'));
  const ops = Number(paused.status.match(/: ([\d,]+) \//)[1].replace(/,/g, ''));
  assert.ok(run.timeline.callOfOp[ops - 1] <= paused.calls &&
    run.timeline.callOfOp[ops] > paused.calls, 'every operation of the calls made is replayed');
  for (let i = 0; i < ops; i++) replayer.step();
  assert.equal(paused.walked, heap.walk().length);
  assert.equal(paused.chunks, heap.walk().length);
  const { last, calls } = await chart(page);
  assert.equal(calls, paused.calls);
  assert.deepEqual(last, { call: paused.calls, inUse: run.timeline.inUse[paused.calls - 1],
    heap: run.timeline.heap[paused.calls - 1], memory: run.timeline.memory[paused.calls - 1] });

  await page.click('#program-play');
  await page.waitForFunction((n) => Number(document.querySelector('#program-status')
    .dataset.calls) > n, paused.calls);
  await setSpeed(page, 12);
  await page.waitForSelector('#program-status[data-done="true"]', { timeout: 60_000 });
  const end = await shown(page);
  assert.equal(end.calls, run.calls);
  assert.equal(end.output, run.output.map((o) => o.text).join(''));
  assert.equal(end.exit, 'exit status 0');
  assert.deepEqual(problems, []);
});

test('Stop ends a running program: no more calls come, and what it did so far stays', async (t) => {
  const { page, problems } = await runWordcount(t, 9); // 1,000 calls a second
  await page.waitForFunction(() => Number(document.querySelector('#program-status')
    .dataset.calls) > 200);
  await page.click('#program-stop');
  await page.waitForSelector('#program-status[data-done="true"]');
  const stopped = await shown(page);
  assert.match(stopped.exit, /^stopped after [\d,]+ calls$/);
  await new Promise((done) => setTimeout(done, 300));
  assert.equal((await shown(page)).calls, stopped.calls);
  assert.equal(await page.isDisabled('#program-stop'), true);
  assert.equal(await page.isDisabled('#program-compare'), false);
  assert.deepEqual(problems, []);
});
