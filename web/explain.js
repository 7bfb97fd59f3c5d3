// Turns heap.events() — what the latest call did — into sentences: the chunks the search
// looked at, the chunk it chose and why, the split, the merge, the growth.

import { count, exact as bytes, hex } from './format.js';

const WHY = {
  'first-fit': 'the first free chunk, in address order, that is big enough',
  'next-fit': 'the first big-enough free chunk from the rover on, wrapping around',
  'best-fit': 'the smallest free chunk that is big enough',
  'segregated': 'the first big-enough chunk of the smallest size class that has one, where the ' +
    'rest of the latest split (held off the bins) comes first and the last chunk only when ' +
    'nothing else fits',
};

const MAX_LISTED = 8; // probes named one by one; the rest are counted
const ALIGNMENT = 16; // every payload is this aligned; aligned_alloc beyond it searches wider

/**
 * aligned_alloc beyond 16 bytes searches for more than the request, so that an aligned payload
 * surely fits in what it finds, then gives back what lies before and after the aligned chunk.
 * Told from the user's side: the chunk found, where the aligned payload went, what went back.
 */
function explainAligned({ result, events, policy, chunks, alignment, request, placed }) {
  const steps = [];
  const probes = events.filter((e) => e.kind === 'probe');
  const chosen = probes.findLast((p) => p.payload <= placed.payload &&
    placed.payload < p.payload + p.size);
  const grew = events.find((e) => e.kind === 'grow');
  if (probes.length) {
    steps.push({ kind: 'probe', text: describeProbes(probes, chosen, 0, probes, events) });
  }
  if (grew) {
    steps.push({ kind: 'grow', text: `Nothing free was big enough, so the heap grew by ` +
      `${bytes(grew.size)} at its end.` });
  }
  const where = chosen ? `the ${bytes(chosen.size)} free chunk at ${hex(chosen.payload)}, ` +
    `${WHY[policy] ?? 'the chunk the policy picked'}` : 'new space at the heap\'s end';
  steps.push({ kind: 'place', text: `Chose ${where}. An aligned request looks for room for ` +
    `the request plus ${bytes(alignment)} more, so that a ${alignment}-byte-aligned payload ` +
    'fits wherever the chunk starts.' });
  const size = sizeOf(chunks, result);
  const gap = result - placed.payload;
  const front = gap ? `; the ${bytes(gap)} in front of it went back to the heap as a free ` +
    'chunk' : '';
  steps.push({ kind: 'split', text: `The payload is at ${hex(result)}, the first ` +
    `${alignment}-byte-aligned address in the chunk with room for a free chunk before it` +
    `${front}. Its chunk is ${bytes(size)}: the ${bytes(request ?? size - 4)} request and the ` +
    `4 B head tag, rounded up to ${ALIGNMENT} B.` });
  const after = placed.payload - 4 + placed.size; // the end of what the search took
  const end = result - 4 + size;
  if (after > end) {
    steps.push({ kind: 'split', text: `The ${bytes(after - end)} after it went back to the ` +
      'heap too.' });
  }
  for (const e of events) {
    if (e.kind === 'merge') {
      steps.push({ kind: 'merge', text: 'Merged touching free chunks into one of ' +
        `${bytes(e.size)} at ${hex(e.payload)}.` });
    }
  }
  return steps;
}

/**
 * @param {{ call: string, result?: number, before?: number, events: object[], policy: string,
 *   coalescing: string, chunks: object[] }} op what ran and the heap after it
 * @returns {{ kind: string, text: string }[]} one sentence a step
 */
export function explain({ call, result, before, events, policy, coalescing, chunks, alignment,
  request }) {
  const placed = events.find((e) => e.kind === 'place');
  if (call === 'aligned_alloc' && alignment > ALIGNMENT && placed && result) {
    return explainAligned({ result, events, policy, chunks, alignment, request, placed });
  }
  const steps = [];
  const probes = events.filter((e) => e.kind === 'probe');
  const split = placed && events.find((e) => e.kind === 'split' &&
    e.payload + e.size === placed.payload + placed.size);
  // The chunk the request ended up in; with a split, exactly what it needed.
  const finalSize = placed ? sizeOf(chunks, result || placed.payload) : 0;
  const need = split ? placed.size - split.size : placed?.size ?? 0;
  // The free chunk the request went into: it holds the placement and was big enough.
  const chosen = placed && probes.findLast((p) => p.payload <= placed.payload &&
    placed.payload < p.payload + p.size && p.size >= placed.size);
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    if (e.kind === 'probe') {
      const run = [];
      while (i < events.length && events[i].kind === 'probe') run.push(events[i++]);
      i--;
      steps.push({ kind: 'probe', text: describeProbes(run, chosen, need, probes, events) });
    } else if (e.kind === 'place') {
      steps.push({ kind: 'place', text: describePlace(e, { call, before, policy, chosen,
        need: split ? need : 0, finalSize }) });
    } else if (e.kind === 'split') {
      const end = placed && e.payload < placed.payload ? 'start (a small request takes the ' +
        'high end, so small and large blocks gather apart)' : 'end';
      steps.push({ kind: 'split', text: `Split the unused ${bytes(e.size)} off its ${end}: a new ` +
        `free chunk at ${hex(e.payload)}.` });
    } else if (e.kind === 'merge' && events[i - 1]?.kind === 'grow') {
      steps.push({ kind: 'merge', text: `The new space merged with the free chunk that ended ` +
        `the heap: ${bytes(e.size)} at ${hex(e.payload)}.` });
    } else if (e.kind === 'merge') {
      const when = coalescing === 'deferred' && call !== 'free'
        ? ' (deferred coalescing merges only when a search comes up short)' : '';
      steps.push({ kind: 'merge', text: 'Merged touching free chunks into one of ' +
        `${bytes(e.size)} at ${hex(e.payload)}${when}.` });
    } else if (e.kind === 'grow') {
      steps.push({ kind: 'grow', text: `Nothing free was big enough, so the heap grew by ` +
        `${bytes(e.size)} at its end.` });
    } else if (e.kind === 'free') {
      const later = coalescing === 'deferred'
        ? ' Deferred coalescing leaves its free neighbours alone until a search needs them.' : '';
      steps.push({ kind: 'free', text: `The ${bytes(e.size)} chunk at ${hex(e.payload)} ` +
        `became free.${later}` });
    }
  }
  const moved = call === 'realloc' && before && result && result !== before;
  if (moved) { // realloc that moved: malloc, copy, free (the free shows only as its merges)
    const at = steps.findIndex((step) => step.kind === 'place') + 1;
    steps.splice(at, 0, { kind: 'free', text: `Copied the payload over and freed the old ` +
      `chunk at ${hex(before)}.` });
  } else if (call === 'realloc' && before && result === before && !placed) {
    steps.unshift({ kind: 'place', text: `Resized in place: the chunk at ${hex(before)} now ` +
      `spans ${bytes(sizeOf(chunks, before))}.` });
  }
  if (placed && result && result !== placed.payload && !moved) { // aligned_alloc's front gap
    steps.push({ kind: 'split', text: `The payload starts at ${hex(result)}, the first ` +
      `aligned address in the chunk; the ${bytes(result - placed.payload)} in front went back ` +
      'to the heap as a free chunk.' });
  }
  if (steps.length === 0 && result !== 0) {
    steps.push({ kind: 'note', text: 'The heap did not change.' });
  }
  if (result === 0 && call !== 'free') {
    steps.push({ kind: 'fail', text: 'Out of memory: the heap could not grow far enough; ' +
      'it is unchanged and the call returned 0 (NULL).' });
  }
  return steps;
}

/** What a call did in a few words, for a log line: `probed 7 · split 80 B off`. */
export function brief(events) {
  let probes = 0;
  let merges = 0;
  let grew = false;
  const splits = [];
  for (const e of events) {
    if (e.kind === 'probe') probes++;
    else if (e.kind === 'merge') merges++;
    else if (e.kind === 'grow') grew = true;
    else if (e.kind === 'split') splits.push(bytes(e.size));
  }
  const words = [];
  if (events.probes) probes = events.probes; // listed or not
  if (probes) words.push(`probed ${count(probes)}`);
  if (grew) words.push('grew');
  if (merges) words.push(`merged ${merges}×`);
  if (splits.length) words.push(`split ${splits.join(' + ')} off`);
  return words.join(' · ');
}

function sizeOf(chunks, payload) {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid].payload === payload) return chunks[mid].size;
    if (chunks[mid].payload < payload) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0;
}

// A run of probes; `events.probes` is how many the search made in all, listed or not (the event
// log lists the first 512), so the last run of a cut log stands for the rest too.
function describeProbes(run, chosen, need, all, events) {
  const first = all.indexOf(run[0]) + 1;
  const last = all[all.length - 1] === run[run.length - 1];
  const unlisted = last ? Math.max(0, (events.probes ?? all.length) - all.length) : 0;
  const total = run.length + unlisted;
  const listed = run.slice(0, MAX_LISTED).map((p, k) => {
    const verdict = need ? `${bytes(p.size)}, ${p.size < need ? 'too small' : 'big enough'}`
      : bytes(p.size);
    return `#${first + k} ${hex(p.payload)} (${verdict}${p === chosen ? ', chosen' : ''})`;
  });
  const more = total > MAX_LISTED ? `, and ${count(total - MAX_LISTED)} more` : '';
  const cut = unlisted ? ` The event log lists the first ${count(all.length)} probes; the ` +
    `other ${count(unlisted)} are counted, not drawn.` : '';
  const noun = total === 1 ? 'free chunk' : 'free chunks';
  return `Looked at ${count(total)} ${noun}: ${listed.join(', ')}${more}.${cut}`;
}

function describePlace(e, { call, before, policy, chosen, need, finalSize }) {
  const where = `${hex(e.payload)} (${bytes(e.size)})`;
  if (call === 'realloc' && before && e.payload === before) {
    return `Resized in place: the chunk at ${where} now spans ${bytes(finalSize || e.size)}.`;
  }
  if (!chosen) return `Placed the request at ${where}, at the heap's end.`;
  const why = WHY[policy] ?? 'the chunk the policy picked';
  if (chosen.payload < e.payload) { // segregated fit puts small requests at a chunk's high end
    return `Chose the ${bytes(chosen.size)} chunk at ${hex(chosen.payload)}, ${why}, and took ` +
      `its high end, ${where}: small requests go at the end, so the front ` +
      `${bytes(e.payload - chosen.payload)} stays free where it was.`;
  }
  const needs = need ? `; the request needs ${bytes(need)}, head tag included` : '';
  return `Chose ${where}: ${why}${needs}.`;
}
