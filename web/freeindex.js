// The free index drawn: under segregated fit its non-empty size classes as rows of chunk boxes,
// with their bitmap bits, the victim and the top held off the bins; under first, next and best
// fit the one address-ordered list with the rover. It marks what the latest call did there: the
// class it searched first, the chunks it probed, the list it took its chunk from.
// Everything comes from heap.freeIndex(), heap.sizeClass() and the call's heap.events().

import { count, exact, hex } from './format.js';

const MAX_BOXES = 64;    // chunk boxes drawn a row; the rest are counted
const BOX_MIN_PX = 8;    // a CHUNK_MIN chunk's box
const BOX_MAX_PX = 44;   // boxes grow with log2(size) up to this width

/**
 * What the latest call did to the index, from the call's op (see app.js's perform): its request,
 * events, the rover and the free index just before it ran.
 * @returns {{ searched: object|null, probed: Set<number>, taken: object|null,
 *   roverBefore: number|null }}
 */
function lastCall(heap, op) {
  const none = { searched: null, probed: new Set(), taken: null, roverBefore: null };
  if (!op || op.error) return none;
  const probes = op.events.filter((e) => e.kind === 'probe');
  const place = op.events.find((e) => e.kind === 'place');
  const searched = (probes.length || place) && Number.isInteger(op.searchRequest)
    ? heap.sizeClass(op.searchRequest) : null;
  let taken = null;
  if (place) {
    const before = op.indexBefore;
    // The placed chunk lies inside the one the search took: a split cuts a small request from
    // the end of that chunk, a large one from its start.
    const same = (c) => c && c.payload <= place.payload &&
      place.payload + place.size <= c.payload + c.size;
    if (!before) {
      taken = { payload: place.payload, size: place.size, from: 'unknown' };
    } else if (same(before.victim)) {
      taken = { payload: place.payload, size: place.size, from: 'victim' };
    } else if (same(before.top)) {
      taken = { payload: place.payload, size: place.size, from: 'top' };
    } else {
      const list = before.lists.find((l) => l.chunks.some(same));
      taken = list ? { payload: place.payload, size: place.size, from: 'list', bin: list.bin,
        low: list.low, high: list.high } : { payload: place.payload, size: place.size,
        from: 'new' };
    }
  }
  return { searched, probed: new Set(probes.map((p) => p.payload)), taken,
    roverBefore: op.roverBefore ?? null };
}

function range({ low, high }) {
  if (high >= 2 ** 31) return `${exact(low)} and up`;
  return low === high ? exact(low) : `${count(low)}–${exact(high)}`;
}

function escape(text) {
  return String(text).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;',
    '"': '&quot;' })[c]);
}

function boxWidth(size) {
  return Math.min(BOX_MAX_PX, BOX_MIN_PX + Math.max(0, Math.round(4 * Math.log2(size / 16))));
}

function box(c, { probed, extra = '' }) {
  const marks = [];
  if (probed.has(c.payload)) marks.push('probed');
  const cls = ['ix-box', ...marks, extra].filter(Boolean).join(' ');
  const note = marks.length ? ` (${marks.join(', ')})` : '';
  const title = `${hex(c.payload)}, ${exact(c.size)}${note}`;
  return `<span class="${cls}" style="width:${boxWidth(c.size)}px" data-payload="${c.payload}" ` +
    `data-size="${c.size}" title="${escape(title)}"></span>`;
}

function marker(kind, text) {
  return `<span class="ix-marker ${kind}" data-marker="${kind}">${escape(text)}</span>`;
}

/** A row's boxes; in address order the rover markers sit before the first free chunk at or
 * after them, where next fit starts. */
function boxes(chunks, call, rovers = []) {
  const parts = [];
  const shown = chunks.slice(0, MAX_BOXES);
  const pending = rovers.filter((r) => r.at);
  for (const c of shown) {
    for (const r of pending.filter((r) => !r.done && r.at <= c.payload)) {
      parts.push(marker(r.kind, r.text));
      r.done = true;
    }
    parts.push(box(c, call));
  }
  if (chunks.length > shown.length) {
    parts.push(`<span class="ix-more">+${count(chunks.length - shown.length)} more</span>`);
  }
  for (const r of pending.filter((r) => !r.done)) {
    parts.push(marker(r.kind, `${r.text} (past the last free chunk: wraps)`));
  }
  return parts.join('');
}

/** The bitmap words, from the lists' bits: bit b of word b / 32 says bin b is non-empty. */
function bitmapWords(lists) {
  const words = new Map();
  for (const l of lists) {
    if (!l.marked) continue;
    const w = Math.floor(l.bin / 32);
    words.set(w, ((words.get(w) ?? 0) | (1 << (l.bin % 32))) >>> 0);
  }
  return [...words].sort((a, b) => a[0] - b[0]);
}

export class FreeIndexPanel {
  #root;
  #heap;

  /** @param {HTMLElement} root the panel's body @param {object} heap the page's heap */
  constructor(root, heap) {
    this.#root = root;
    this.#heap = heap;
  }

  /** Redraws from the heap; `op` is the latest call (or null after a setting or reset). */
  show(op) {
    const heap = this.#heap;
    const index = heap.freeIndex();
    const call = lastCall(heap, op);
    const segregated = index.policy === 'segregated';
    const html = [];
    const listed = index.lists.reduce((n, l) => n + l.chunks.length, 0);
    if (segregated) {
      const words = bitmapWords(index.lists);
      const bits = words.length ? words.map(([w, v]) => `bitmap[${w}] = 0x${v.toString(16)}`)
        .join(', ') : 'bitmap all 0';
      html.push(`<p class="ix-note" data-summary>${count(listed)} free chunk` +
        `${listed === 1 ? '' : 's'} in ${count(index.lists.length)} size class` +
        `${index.lists.length === 1 ? '' : 'es'}; ${bits}. Each class is a list, newest ` +
        'first; malloc looks in the request\'s class, then the next class whose bit is set.</p>');
    } else {
      html.push(`<p class="ix-note" data-summary>${count(listed)} free chunk` +
        `${listed === 1 ? '' : 's'} on one list in address order: ${index.policy} walks it ` +
        `${index.policy === 'next-fit' ? 'from the rover on, wrapping around' : 'from the lowest ' +
        'address'}.</p>`);
    }
    html.push(this.#callNote(call, segregated));
    const rows = [];
    const searchedBin = call.searched?.bin;
    const takenBin = call.taken?.from === 'list' ? call.taken.bin : undefined;
    for (const list of index.lists) {
      const searched = segregated && list.bin === searchedBin;
      const taken = list.bin === takenBin;
      const flags = [];
      if (searched) flags.push(marker('searched', 'searched first'));
      if (taken) flags.push(marker('taken', `took ${hex(call.taken.payload)} from here`));
      const rovers = segregated ? [] : [
        { kind: 'rover', at: index.rover, text: 'rover' },
        ...(call.roverBefore !== null && call.roverBefore !== index.rover
          ? [{ kind: 'rover-before', at: call.roverBefore, text: 'rover before the call' }] : []),
      ];
      const label = segregated ? `class ${list.bin} · ${range(list)}` : 'address order';
      const bit = segregated ? `bit ${list.bin % 32} of bitmap[${Math.floor(list.bin / 32)}]: ` +
        `${list.marked ? 1 : 0}` : `${range(list)}`;
      rows.push(`<li class="ix-row${searched ? ' searched' : ''}${taken ? ' taken' : ''}" ` +
        `data-bin="${list.bin}" data-count="${list.chunks.length}">` +
        `<span class="ix-label">${escape(label)}</span>` +
        `<span class="ix-count">${count(list.chunks.length)} chunk` +
        `${list.chunks.length === 1 ? '' : 's'}</span>` +
        `<span class="ix-bit">${escape(bit)}</span>${flags.join('')}` +
        `<span class="ix-boxes">${boxes(list.chunks, call, rovers)}</span></li>`);
    }
    const gone = new Map(); // classes the call searched or emptied: drawn empty
    if (segregated && call.searched && !index.lists.some((l) => l.bin === searchedBin)) {
      gone.set(searchedBin, call.searched);
    }
    if (segregated && takenBin !== undefined && !index.lists.some((l) => l.bin === takenBin)) {
      gone.set(takenBin, call.taken);
    }
    for (const [bin, c] of gone) {
      const flags = (bin === searchedBin ? marker('searched', 'searched first') : '') +
        (bin === takenBin ? marker('taken', `took ${hex(call.taken.payload)} from here`) : '');
      rows.push(`<li class="ix-row empty${bin === searchedBin ? ' searched' : ''}` +
        `${bin === takenBin ? ' taken' : ''}" data-bin="${bin}" data-count="0">` +
        `<span class="ix-label">class ${bin} · ${range(c)}</span>` +
        '<span class="ix-count">0 chunks</span>' +
        `<span class="ix-bit">bit ${bin % 32} of bitmap[${Math.floor(bin / 32)}]: 0</span>` +
        `${flags}</li>`);
    }
    if (gone.size) {
      rows.sort((a, b) => Number(a.match(/data-bin="(\d+)"/)[1]) -
        Number(b.match(/data-bin="(\d+)"/)[1]));
    }
    if (!rows.length) rows.push('<li class="ix-row empty muted">No free chunk on a list.</li>');
    html.push(`<ol class="ix-lists" aria-label="Free lists">${rows.join('')}</ol>`);
    if (segregated) html.push(this.#held(index, call));
    this.#root.innerHTML = html.join('');
    this.#root.dataset.policy = index.policy;
    this.#root.dataset.rover = String(index.rover);
  }

  #callNote(call, segregated) {
    const parts = [];
    if (call.searched && segregated) {
      parts.push(`The last call searched class ${call.searched.bin} (${range(call.searched)}) ` +
        'first');
    }
    if (call.probed.size) parts.push(`probed ${count(call.probed.size)} chunk` +
      `${call.probed.size === 1 ? '' : 's'} (outlined, where still free)`);
    const t = call.taken;
    if (t) {
      const from = {
        list: segregated ? `class ${t.bin}'s list` : 'the list',
        victim: 'the victim', top: 'the top', new: 'new space at the heap\'s end',
        unknown: 'the free index',
      }[t.from];
      parts.push(`took ${hex(t.payload)} (${exact(t.size)}) from ${from}`);
    }
    if (call.roverBefore !== null && !segregated) {
      parts.push(`the rover was at ${hex(call.roverBefore)} before it`);
    }
    if (!parts.length) return '';
    const text = parts.join('; ');
    return `<p class="ix-call" data-call>${escape(text[0].toUpperCase() + text.slice(1))}.</p>`;
  }

  #held(index, call) {
    const row = (kind, c, text) => `<li class="ix-row held" data-held="${kind}">` +
      `<span class="ix-label">${kind}</span>` +
      `<span class="ix-count">${c ? `${hex(c.payload)}, ${exact(c.size)}` : 'none'}</span>` +
      `<span class="ix-bit">${escape(text)}</span>` +
      (call.taken?.from === kind ? marker('taken', `took ${hex(call.taken.payload)} from here`)
        : '') +
      `<span class="ix-boxes">${c ? box(c, { ...call, extra: `ix-${kind}` }) : ''}</span></li>`;
    return '<h3 class="ix-sub">Held off the bins</h3><ul class="ix-lists">' +
      row('victim', index.victim, 'the rest of the latest split: the next requests are cut ' +
        'from it while it fits as well as a bin would') +
      row('top', index.top, 'the last chunk when free: the last resort, so the heap can grow ' +
        'it in place') + '</ul>';
  }
}
