// The core built natively over a fixed arena under AddressSanitizer and UBSan: a randomized
// model test per policy and coalescing mode, 1M operations each, tagalloc_check() after every one;
// and the checker itself, shown to fail on each invariant broken on purpose.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { seedFor } from './helpers/model.js';

const run = promisify(execFile);
const MODEL = new URL('../build/native/model', import.meta.url).pathname;
const OPERATIONS = Number(process.env.TAGALLOC_MODEL_OPERATIONS ?? 1_000_000);

describe('native model test under sanitizers', { concurrency: 2 }, () => {
  for (const policy of ['first', 'next', 'best', 'segregated']) {
    for (const coalescing of ['immediate', 'deferred']) {
      test(`${policy} fit with ${coalescing} coalescing survives ${OPERATIONS} random operations`,
        async (t) => {
          assert.ok(existsSync(MODEL), `${MODEL} is missing: run bash build.sh native`);
          const seed = seedFor(t);
          const { stdout } = await run(MODEL, [policy, coalescing, OPERATIONS, seed], {
            env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
          }).catch((error) => assert.fail(`${error.stdout}${error.stderr}`));
          assert.match(stdout, new RegExp(`model ${policy} ${coalescing}: ${OPERATIONS} operations`));
        });
    }
  }
});

const CHECKER = new URL('../build/native/checker', import.meta.url).pathname;

test('the checker names each invariant broken on purpose, and passes once it is restored',
  async () => {
    assert.ok(existsSync(CHECKER), `${CHECKER} is missing: run bash build.sh native_tests`);
    const { stdout } = await run(CHECKER, [], {
      env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' },
    }).catch((error) => assert.fail(`${error.stdout}${error.stderr}`));
    assert.doesNotMatch(stdout, /^not ok/m);
    assert.match(stdout, /^23 cases, 0 failed$/m);
  });
