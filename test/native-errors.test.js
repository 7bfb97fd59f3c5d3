// The error model natively (test/native/errors.c under AddressSanitizer and UBSan over a 1 MiB
// arena): each case runs in its own process, on the release checks (errors) and on the debug build
// (errors-debug); the drop-in build's default handler traps (errors-trap); and the wasm32-wasi
// drop-in sets errno (test/native/errno.c). bash build.sh native_tests builds them; this file runs.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);
const built = (name) => new URL(`../build/native/${name}`, import.meta.url).pathname;
const ENV = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };

function cases(binary) {
  if (!existsSync(binary)) return [];
  return spawnSync(binary, ['--list'], { encoding: 'utf8', env: ENV }).stdout.trim().split('\n')
    .map((line) => line.match(/^(\d+) (.*)$/)).filter(Boolean);
}

for (const [name, build] of [['errors', 'release checks'], ['errors-debug', 'TAGALLOC_DEBUG=2']]) {
  const binary = built(name);
  describe(`native error model (${build})`, { concurrency: 2 }, () => {
    test(`build/native/${name} is built`, () => {
      assert.ok(existsSync(binary), `${binary} is missing: run bash build.sh native_tests`);
    });
    for (const [, number, sentence] of cases(binary)) {
      test(sentence, async () => {
        const { stdout } = await run(binary, [number], { env: ENV, timeout: 600_000 }) // no hang
          .catch((error) => assert.fail(`${error.stdout}${error.stderr}`));
        assert.match(stdout, new RegExp(`^ok ${number} - `, 'm'));
      });
    }
  });
}

test('the drop-in build\'s default handler traps on a double free', () => {
  const binary = built('errors-trap');
  assert.ok(existsSync(binary), `${binary} is missing: run bash build.sh native_tests`);
  const [, number] = cases(binary).find(([, , sentence]) => /default handler traps/.test(sentence));
  const { signal, stdout } = spawnSync(binary, [number], { encoding: 'utf8', env: ENV });
  assert.match(stdout, /# freed once/, 'the first free went through');
  assert.doesNotMatch(stdout, /returned/, 'the second free did not return');
  assert.ok(['SIGILL', 'SIGTRAP'].includes(signal), `ended by ${signal}, not a trap`);
});

test('the wasm32-wasi drop-in returns NULL with errno ENOMEM or EINVAL for impossible requests',
  () => {
    const wasm = built('errno.wasi.wasm');
    assert.ok(existsSync(wasm), `${wasm} is missing: run bash build.sh wasi native_tests`);
    const runner = new URL('../examples/run-wasi.mjs', import.meta.url).pathname;
    const { status, stdout, stderr } = spawnSync(process.execPath, [runner, wasm],
      { encoding: 'utf8' });
    assert.doesNotMatch(stdout, /^not ok/m, stdout);
    assert.equal(status, 0, `${stdout}${stderr}`);
    assert.ok(stdout.match(/^ok /gm).length >= 17, stdout);
  });
