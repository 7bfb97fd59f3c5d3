// The page without a mouse and for screen readers: keyboard paths to every chunk and tab,
// visible focus, axe-core's rules, quiet live regions while replaying, and no surprise frees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { call, launch, nextFrames } from './helpers/page.js';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
let chromium;
before(async () => {
  chromium = await launch();
});
after(async () => {
  await chromium?.close();
});

async function axe(page) {
  await page.addScriptTag({ path: AXE });
  const { violations } = await page.evaluate(() => window.axe.run(document));
  return violations.map((v) => `${v.id}: ${v.nodes.length} × ${v.help} ` +
    `(${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`);
}

test('axe-core finds no violations on the heap view, with chunks, a tooltip and a search shown',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await page.selectOption('#policy', 'next-fit');
    for (const request of [100, 40, 300, 24]) await call(page, 'malloc', request);
    const used = (await page.evaluate(() => window.heap.walk())).filter((c) => c.used);
    await call(page, 'free', used[1].payload);
    await call(page, 'malloc', 20);
    await page.click('summary');
    await page.focus('#chunk-list');
    await page.keyboard.press('ArrowDown');
    await nextFrames(page);
    assert.deepEqual(await axe(page), []);
    assert.deepEqual(problems, []);
  });

test('axe-core finds no violations on the compare view after a replay', async (t) => {
  const { page, problems } = await chromium.open(t, { hash: '#compare' });
  await page.selectOption('#compare-trace', 'short1-bal.rep');
  await page.waitForFunction(() => {
    const status = document.querySelector('#compare-status');
    return status.dataset.done === 'true' && status.textContent.includes('short1-bal');
  });
  assert.deepEqual(await axe(page), []);
  assert.deepEqual(problems, []);
});

test('chunks are reachable by keyboard: arrow keys on the heap drawing and the chunk list',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    for (const request of [100, 40, 300]) await call(page, 'malloc', request);
    const walk = await page.evaluate(() => window.heap.walk());
    await page.focus('#heap-canvas');
    await page.keyboard.press('Home');
    assert.equal(await page.inputValue('#free-pointer'), `0x${walk[0].payload.toString(16)}`);
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.inputValue('#free-pointer'), `0x${walk[1].payload.toString(16)}`);
    await page.keyboard.press('Delete');
    const after = await page.evaluate(() => window.heap.walk());
    assert.equal(after.find((c) => c.payload === walk[1].payload)?.used, false,
      'Delete freed the chunk picked with the keyboard');
    await page.click('summary');
    await page.focus('#chunk-list');
    await page.keyboard.press('End');
    const last = after[after.length - 1];
    assert.equal(await page.getAttribute('#chunk-list', 'aria-activedescendant'),
      `chunk-${last.payload}`);
    assert.equal(await page.getAttribute(`#chunk-${last.payload}`, 'aria-selected'), 'true');
    assert.deepEqual(problems, []);
  });

test('Backspace does not free the selected chunk; Delete does', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#policy', 'first-fit'); // the chunk goes first
  await call(page, 'malloc', 100);
  const state = async () => (await page.evaluate(() => window.heap.walk()))[0].used;
  assert.equal(await state(), true);
  await page.focus('#heap-canvas');
  await page.keyboard.press('Home');
  await page.keyboard.press('Backspace');
  assert.equal(await state(), true, 'Backspace left it alone');
  await page.keyboard.press('Delete');
  assert.equal(await state(), false, 'Delete freed it');
  assert.deepEqual(problems, []);
});

test('the tabs move with the arrow keys, and every control shows where the focus is',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await page.focus('#tab-heap');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => location.hash === '#compare');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-compare');
    assert.equal(await page.getAttribute('#tab-compare', 'aria-selected'), 'true');
    assert.equal(await page.getAttribute('#tab-compare', 'tabindex'), '0');
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction(() => location.hash === '#heap');
    // Tab through the heap view: each stop draws an outline (or a box shadow).
    const unmarked = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const seen = await page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        const label = el.closest('label');
        const ring = (s) => (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) ||
          s.boxShadow !== 'none';
        return { what: `${el.tagName}#${el.id}`, shown: ring(style) ||
          (label !== null && ring(getComputedStyle(label))) };
      });
      if (!seen.shown && seen.what !== 'BODY#') unmarked.push(seen.what); // BODY: past the end
    }
    assert.deepEqual(unmarked, [], 'focused without a visible mark');
    assert.deepEqual(problems, []);
  });

test('the play and pause glyphs are drawn shapes, not characters a font may lack', async (t) => {
  const { page, problems } = await chromium.open(t);
  // a long trace, so that it is still playing when the button is read (12 operations were
  // over before the glyph was checked on a loaded machine)
  await page.selectOption('#trace-select', 'amptjp-bal.rep');
  await page.waitForSelector('#trace-status[data-position="0"]');
  assert.doesNotMatch(await page.textContent('#play'), /[▶⏸]/);
  await page.click('#play');
  assert.equal(await page.textContent('#play'), 'Pause');
  assert.ok(await page.$('#play .glyph.pause'));
  assert.deepEqual(problems, []);
});

test('replaying at 1,000 operations a second, live regions change a few times, not every frame',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await page.selectOption('#trace-select', 'amptjp-bal.rep');
    await page.waitForSelector('#trace-status[data-position="0"]');
    await page.fill('#speed', '9'); // 1,000 operations a second
    await page.dispatchEvent('#speed', 'input');
    await page.evaluate(() => {
      window.liveChanges = 0;
      const live = () => [...document.querySelectorAll('[aria-live], [role="status"], ' +
        '[role="alert"], [role="log"]')].filter((el) => el.getAttribute('aria-live') !== 'off');
      new MutationObserver((records) => {
        const regions = live();
        const hit = records.find((r) => regions.some((el) => el.contains(r.target)));
        if (hit) {
          window.liveChanges++;
          (window.liveWhere ??= []).push(regions.find((el) => el.contains(hit.target)).id);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.click('#play');
    await page.waitForFunction(() =>
      Number(document.querySelector('#trace-status').dataset.position) > 1000, null,
    { polling: 100 });
    await page.click('#play'); // pause
    const [changes, where] = await page.evaluate(() => [window.liveChanges, window.liveWhere]);
    assert.ok(changes <= 4, `live regions changed ${changes} times: ${where}`);
    assert.deepEqual(problems, []);
  });

test('a chunk that a loaded trace holds cannot be freed by hand', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#trace-select', 'short1-bal.rep');
  await page.waitForSelector('#trace-status[data-position="0"]');
  await page.click('#step');
  const [owned] = (await page.evaluate(() => window.heap.walk())).filter((c) => c.used);
  await call(page, 'free', owned.payload);
  assert.equal((await page.evaluate(() => window.heap.walk()))
    .find((c) => c.payload === owned.payload).used, true, 'still used');
  assert.match(await page.textContent('#happened'), /ptr\[0\] of the trace short1-bal/);
  await page.fill('#speed', '12');
  await page.dispatchEvent('#speed', 'input');
  await page.click('#play');
  await page.waitForSelector('#trace-status[data-done="true"]');
  assert.doesNotMatch(await page.textContent('#log'), /DOUBLE_FREE|INVALID_POINTER/);
  assert.deepEqual(problems, []);
});

test('zooming keeps the selected chunk in the middle of the strip', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#policy', 'first-fit');
  for (let i = 0; i < 40; i++) await call(page, 'malloc', 200);
  const walk = await page.evaluate(() => window.heap.walk());
  const chunk = walk[5];
  await page.focus('#heap-canvas');
  await page.keyboard.press('Home');
  for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
  for (let i = 0; i < 3; i++) await page.click('#zoom-in');
  await nextFrames(page);
  const { rangeStart, rangeEnd } = await page.$eval('#heap-canvas', (c) => ({ ...c.dataset }));
  const middle = (Number(rangeStart) + Number(rangeEnd)) / 2;
  assert.ok(Math.abs(middle - (chunk.payload - 4 + chunk.size / 2)) < 1,
    `the strip's middle ${middle} is the chunk's`);
  assert.deepEqual(problems, []);
});

test('axe-core finds no violations with a trace stopped at a breakpoint, and the time travel ' +
  'controls show their focus', async (t) => {
  const { page, problems } = await chromium.open(t);
  await page.selectOption('#trace-select', 'amptjp-bal.rep');
  await page.waitForSelector('#trace-status[data-position="0"]');
  await page.check('#break-grow');
  await page.click('#play');
  await page.waitForSelector('#trace-status[data-stopped]');
  await page.fill('#goto-op', '120');
  await page.press('#goto-op', 'Enter');
  await nextFrames(page);
  assert.deepEqual(await axe(page), []);
  const unmarked = [];
  for (const id of ['#step-back', '#goto-op', '#goto', '#scrubber', '#break-probes',
    '#break-probes-k', '#break-grow', '#break-fail', '#heap-view .settings-link']) {
    await page.focus(id);
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab'); // focus that the keyboard moved, so :focus-visible applies
    const shown = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement);
      return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none';
    });
    if (!shown) unmarked.push(id);
  }
  assert.deepEqual(unmarked, []);
  assert.deepEqual(problems, []);
});

test('axe-core finds no violations on the compare view with heaps unchosen and exports ready',
  async (t) => {
    const { page, problems } = await chromium.open(t, { hash: '#compare' });
    await page.selectOption('#compare-trace', 'short1-bal.rep');
    await page.uncheck('#combos input[value="next-fit.deferred"]');
    await page.waitForFunction(() => document.querySelector('#compare-status').dataset.done ===
      'true' && document.querySelectorAll('#compare-table tbody tr').length === 7);
    assert.equal(await page.isEnabled('#export-csv'), true);
    await page.focus('#export-png');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    assert.notEqual(await page.evaluate(() =>
      getComputedStyle(document.activeElement).outlineStyle), 'none');
    assert.deepEqual(await axe(page), []);
    assert.deepEqual(problems, []);
  });

test('the free index panel is reached with Tab after the heap drawing and shows its focus',
  async (t) => {
    const { page, problems } = await chromium.open(t);
    await call(page, 'malloc', 100);
    await page.focus('#heap-canvas');
    let at = '';
    for (let i = 0; i < 8 && at !== 'free-index'; i++) {
      await page.keyboard.press('Tab');
      at = await page.evaluate(() => document.activeElement.id);
    }
    assert.equal(at, 'free-index');
    const outline = await page.$eval('#free-index', (el) => getComputedStyle(el).outlineStyle);
    assert.notEqual(outline, 'none');
    assert.deepEqual(problems, []);
  });
