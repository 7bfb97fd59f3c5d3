// The Programs view's program, run in a worker (web/programs.js starts it): a long or endless
// program no longer holds up the page, and the page sees its calls as they happen. The page
// lets calls through with a SharedArrayBuffer of two Int32 words: RELEASED, the number of
// allocation calls the program may make, and MADE, the number it has made. Before each call's
// record is taken in, the program waits (Atomics.wait) until MADE < RELEASED, so a paused page
// stops the program itself. What it did since the last message goes to the page in batches:
// before each wait, every BATCH_CALLS calls, every BATCH_MS and at the end.
//
//   page -> worker  { module, name, args, files, control }   once
//   worker -> page  { type: 'records', ops, timeline, output, calls, peakHeap }   many
//                   { type: 'end', exitCode, trap, chunks }  or  { type: 'error', message }

import { MADE, RELEASED, Recorder } from './programs.js';

const BATCH_CALLS = 2048;
const BATCH_MS = 30;

self.onmessage = async ({ data: { module, name, args, files, control } }) => {
  const words = new Int32Array(control);
  const r = new Recorder(name);
  const sent = { ops: 0, calls: 0, growth: 0 };
  let last = performance.now();

  const flush = () => {
    const t = r.timeline;
    const ops = { kinds: r.kinds.slice(sent.ops), ids: r.ids.slice(sent.ops),
      sizes: r.sizes.slice(sent.ops), callOfOp: t.callOfOp.slice(sent.ops), nextId: r.nextId };
    const timeline = { inUse: t.inUse.slice(sent.calls), heap: t.heap.slice(sent.calls),
      memory: t.memory.slice(sent.calls), growth: t.growth.slice(sent.growth),
      initialMemory: t.initialMemory };
    self.postMessage({ type: 'records', ops, timeline, output: r.output, calls: r.calls,
      peakHeap: r.peakHeap });
    sent.ops = r.kinds.length;
    sent.calls = t.heap.length;
    sent.growth = t.growth.length;
    r.output = []; // sent: a piece printed from now on is a new one
    last = performance.now();
  };

  r.beforeCall = () => {
    const made = r.calls;
    // The call is claimed before RELEASED is read: a hold (RELEASED = MADE) that reads MADE
    // after this lets it through, one that read it before stops it, so once the page holds,
    // the program makes exactly RELEASED calls.
    Atomics.store(words, MADE, made + 1);
    if (made >= Atomics.load(words, RELEASED)) {
      Atomics.store(words, MADE, made);
      flush();
      for (;;) {
        const released = Atomics.load(words, RELEASED);
        if (made < released) break;
        Atomics.wait(words, RELEASED, released);
      }
      Atomics.store(words, MADE, made + 1);
    } else if (made - sent.calls >= BATCH_CALLS || performance.now() - last > BATCH_MS) {
      flush();
    }
  };

  const print = r.print.bind(r);
  r.print = (fd, data) => { // output between calls is sent too
    print(fd, data);
    if (performance.now() - last > BATCH_MS) flush();
  };

  try {
    const { exitCode, trap } = await r.run(module, { args, files });
    flush();
    self.postMessage({ type: 'end', exitCode, trap, chunks: r.chunks });
  } catch (error) {
    flush();
    self.postMessage({ type: 'error', message: error.message });
  }
};
