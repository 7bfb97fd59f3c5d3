// The libFuzzer target (build/native/fuzz, test/native/fuzz.c) on a copy of the committed seed
// corpus in a temporary directory, so that the corpus it grows never lands in the repository.
// npm test runs it for TAGALLOC_FUZZ_SECONDS (30) on one job; npm run fuzz is the soak: 1800 s on
// two jobs. Either prints how many inputs ran, and keeps the directory when something is found.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const FUZZ = new URL('../build/native/fuzz', import.meta.url).pathname;
const CORPUS = new URL('./native/corpus', import.meta.url).pathname;
const SECONDS = Number(process.env.TAGALLOC_FUZZ_SECONDS ?? 30);
const JOBS = Number(process.env.TAGALLOC_FUZZ_JOBS ?? 1);

// Runs libFuzzer and resolves with its exit status and everything it printed, jobs' logs included.
function fuzz(dir, args) {
  return new Promise((resolve) => {
    execFile(FUZZ, args, { cwd: dir, maxBuffer: 1 << 28, env: { ...process.env,
      ASAN_OPTIONS: 'detect_leaks=0' } }, (error, stdout, stderr) => {
      const logs = readdirSync(dir).filter((name) => /^fuzz-\d+\.log$/.test(name))
        .map((name) => readFileSync(join(dir, name), 'utf8'));
      const status = error ? error.code ?? error.signal : 0;
      resolve({ status, output: [stderr, ...logs].join('\n') });
    });
  });
}

test(`the fuzzer finds nothing in ${SECONDS} s on ${JOBS} job${JOBS > 1 ? 's' : ''} ` +
  'from the seed corpus', async (t) => {
    assert.ok(existsSync(FUZZ), `${FUZZ} is missing: run bash build.sh fuzz`);
    assert.ok(readdirSync(CORPUS).length > 0,
      `${CORPUS} is empty: run bash test/native/make-corpus.sh`);
    const dir = mkdtempSync(join(tmpdir(), 'tagalloc-fuzz-'));
    cpSync(CORPUS, join(dir, 'corpus'), { recursive: true });
    const args = ['corpus', `-max_total_time=${SECONDS}`, '-timeout=10', '-rss_limit_mb=2048',
      `-artifact_prefix=${dir}/`, '-print_final_stats=1'];
    if (JOBS > 1) args.push(`-jobs=${JOBS}`, `-workers=${JOBS}`);
    const { status, output } = await fuzz(dir, args);
    const found = readdirSync(dir).filter((name) => /^(crash|leak|timeout|oom|slow-)/.test(name));
    if (status !== 0 || found.length) {
      const tail = output.split('\n').filter((line) => !/^#\d+\s+(NEW|REDUCE|pulse)/.test(line));
      assert.fail(`the fuzzer stopped with ${status}; inputs kept in ${dir}: ` +
        `${found.join(', ')}\n${tail.slice(-60).join('\n')}`);
    }
    const runs = [...output.matchAll(/stat::number_of_executed_units: (\d+)/g)]
      .reduce((sum, [, n]) => sum + Number(n), 0);
    const corpus = readdirSync(join(dir, 'corpus')).length;
    t.diagnostic(`${runs} executions in ${SECONDS} s on ${JOBS} job(s); ` +
      `the corpus grew to ${corpus} inputs`);
    assert.ok(runs > 0, 'the fuzzer ran inputs');
    rmSync(dir, { recursive: true, force: true });
  });
