// The page in headless Chromium for the browser tests: Debian's /usr/bin/chromium through
// playwright-core, never a downloaded browser, and the page's own static server.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../web/serve.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
export const TRACES = fileURLToPath(new URL('../../web/traces/', import.meta.url));

/** Starts the server and the browser; returns { open(t, options), close() }. */
export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`the browser tests need Chromium at ${CHROMIUM}: apt-get install chromium ` +
      '(or set CHROMIUM to its path); they never download a browser');
  }
  if (!existsSync(`${TRACES}index.json`)) {
    throw new Error('web/traces/ is missing: run bash build.sh web (npm test does)');
  }
  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  return {
    server,
    browser,
    /** A fresh page, collecting console errors, uncaught errors and failed loads. */
    async open(t, { hash = '', width = 1280, height = 800, query = '' } = {}) {
      const page = await browser.newPage({ viewport: { width, height } });
      const problems = [];
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
      page.on('requestfailed', (r) => problems.push(`failed to load ${r.url()}`));
      page.on('response', (r) => {
        if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
      });
      t.after(() => page.close());
      await page.goto(server.url + query + hash);
      await page.waitForSelector('body[data-ready="true"]');
      return { page, problems };
    },
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/** Resolves after two animation frames: whatever show() scheduled has been drawn. */
export function nextFrames(page) {
  return page.evaluate(() => new Promise((done) =>
    requestAnimationFrame(() => requestAnimationFrame(done))));
}

/** Fills a call's fields and presses its button. */
export async function call(page, name, ...args) {
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
