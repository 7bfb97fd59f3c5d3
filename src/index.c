/* The free-chunk index and the four fit policies.
 *
 * Every list is circular and doubly linked around a sentinel: a node in the heap struct laid
 * out as a chunk's links (heap.h's bin_link), so linking and unlinking never test for an end,
 * and taking the last chunk off a list finds its bin from the sentinel, not the chunk's size.
 *
 * Segregated (the default): one list a size class, TLSF style. Below BIN_EXACT_BYTES a class is
 * one size; above, each power-of-two range splits into BIN_SUBS classes. A bitmap says which
 * bins are non-empty and a summary word which bitmap words are, so finding the next non-empty
 * bin is two count-trailing-zeros: O(1).
 *
 * First, next and best fit: one list, bin 0, kept in address order, so "lowest address" is
 * "earliest in the list". (Bin 0 is never a size class: no chunk is smaller than CHUNK_MIN.) */
#include "heap.h"

static link *links_of(link l) { return chunk_links(chunk_at(l)); } /* [0] next, [1] prev */

/* Empties every list (its sentinel alone). The bitmap is the caller's: a new heap's is zero. */
static void bins_clear(heap *h) {
    for (uint32_t bin = 0; bin < BIN_COUNT; bin++)
        h->bins[bin][0] = h->bins[bin][1] = bin_link(h, bin);
}

/* Links c into a list after node `prev` (a chunk on it, or its sentinel). */
static void list_link_after(link prev, chunk *c) {
    link self = chunk_link(c), next = links_of(prev)[0];
    chunk_links(c)[0] = next;
    chunk_links(c)[1] = prev;
    links_of(prev)[0] = self;
    links_of(next)[1] = self;
}

/* Unlinks c from its list. When that leaves a segregated bin empty, c's neighbours were both its
 * sentinel, which names the bin whose bit to clear. */
static HOT chunk *list_unlink(heap *h, chunk *c) {
    link next = chunk_links(c)[0], prev = chunk_links(c)[1];
    links_of(next)[1] = prev;
    links_of(prev)[0] = next;
    if (next == prev && heap_is_segregated(h)) { /* [sentinel][c] -> [sentinel] */
        uint32_t bin = (prev - bin_link(h, 0)) / (2 * LINK_BYTES); /* sentinels are 2 links apart */
        h->bitmap[bin / 32] &= ~(1u << (bin % 32));
        if (!h->bitmap[bin / 32]) h->summary &= ~(1u << (bin / 32));
    }
    return c;
}

/* Segregated keeps two free chunks off the bins. The last chunk, the top, is the last resort,
 * so requests fill holes first and the block below the top can keep growing in place. The
 * victim, the rest of the latest split, is where the next requests are cut from while it fits
 * as well as a bin would: a run of allocations then splits one chunk without touching a bin
 * (dlmalloc's "designated victim"), and a free beside it grows it, again without a bin. */
static bool is_top(const heap *h, chunk *c) {
    return heap_is_segregated(h) && c + chunk_size(c) == h->end;
}

/* Puts free chunk c, `size` bytes and not the top, on its list. */
static HOT void index_link(heap *h, chunk *c, uint32_t size) {
    if (heap_is_segregated(h)) {
        uint32_t bin = bin_of(size);
        list_link_after(bin_link(h, bin), c); /* newest first: LIFO reuse is warm */
        h->bitmap[bin / 32] |= 1u << (bin % 32);
        h->summary |= 1u << (bin / 32);
        return;
    }
    link self = chunk_link(c), end = bin_link(h, 0), prev = end;
    for (link next = links_of(end)[0]; next != end && next < self; next = links_of(next)[0])
        prev = next; /* keep address order: first fit's lowest hole comes first */
    list_link_after(prev, c);
}

static HOT void index_insert(heap *h, chunk *c) {
    if (!is_top(h, c)) index_link(h, c, chunk_size(c));
}

static HOT void index_hold(heap *h, chunk *c) {
    if (!TAGALLOC_VICTIM || !heap_is_segregated(h)) {
        index_insert(h, c);
    } else if (!is_top(h, c)) {
        if (h->victim) index_insert(h, chunk_at(h->victim)); /* the one held before: to its bin */
        h->victim = chunk_link(c);
    }
}

static HOT bool index_remove(heap *h, chunk *c) {
    if (TAGALLOC_VICTIM && h->victim == chunk_link(c)) {
        h->victim = 0;
        return true;
    }
    if (!heap_is_segregated(h) || c != h->top) list_unlink(h, c); /* the top is on no list */
    return false;
}

/* The first non-empty bin at or above `bin`, or 0 for none. */
static HOT uint32_t bin_at_or_above(const heap *h, uint32_t bin) {
    if (bin >= BIN_COUNT) return 0;
    uint32_t word = bin / 32, bits = h->bitmap[word] & (~0u << (bin % 32));
    if (!bits) {
        uint32_t words = h->summary & (word + 1 < 32 ? ~0u << (word + 1) : 0);
        if (!words) return 0;
        word = (uint32_t)__builtin_ctz(words);
        bits = h->bitmap[word];
    }
    return word * 32 + (uint32_t)__builtin_ctz(bits);
}

static chunk *probe(chunk *c) {
    event_record(TAGALLOC_EVENT_PROBE, c, chunk_size(c));
    return c;
}

/* How many chunks of the request's own class a malloc looks at: a class above BIN_EXACT_BYTES
 * spans sizes up to 1/BIN_SUBS apart, so its chunks may be too small, and a class full of such
 * chunks must not be walked on every request (an interpreter's fragmented heap walked 1,050 a
 * malloc). Past them a larger class, the victim or the top serves; the rest of the class is
 * searched only when the heap cannot grow (`whole_class`), so a malloc fails only when no free
 * chunk fits. */
#define OWN_CLASS_PROBES 4

/* The first of at most `limit` chunks of the class that fits, or NULL. */
static chunk *fit_in_class(heap *h, uint32_t bin, uint32_t size, uint32_t limit) {
    link end = bin_link(h, bin);
    for (link l = h->bins[bin][0]; l != end && limit--; l = links_of(l)[0])
        if (chunk_size(probe(chunk_at(l))) >= size) return chunk_at(l);
    return 0;
}

static HOT chunk *take_segregated(heap *h, uint32_t size, bool whole_class) {
    if (h->summary || (TAGALLOC_VICTIM && h->victim)) { /* else no hole: the top serves */
        uint32_t bin = bin_of(size); /* an exact class's first chunk fits: one probe */
        chunk *c = fit_in_class(h, bin, size, whole_class ? UINT32_MAX : OWN_CLASS_PROBES);
        if (!c) {
            uint32_t above = bin_at_or_above(h, bin + 1); /* any chunk in a higher class fits */
            chunk *victim = TAGALLOC_VICTIM && h->victim ? probe(chunk_at(h->victim)) : 0;
            uint32_t have = victim ? chunk_size(victim) : 0;
            if (have >= size && (!above || bin_of(have) <= above)) {
                h->victim = 0;
                return victim;
            }
            c = above ? probe(chunk_at(h->bins[above][0])) : 0;
        }
        if (c) return list_unlink(h, c);
    }
    chunk *top = h->top; /* the last resort, never on a list */
    return top && chunk_size(probe(top)) >= size ? top : 0;
}

#if TAGALLOC_ALL_POLICIES
/* The first chunk from node `from` up to `to` that fits, or NULL; `looking` records no probes. */
static chunk *fit_first(link from, link to, uint32_t size, bool looking) {
    for (link l = from; l != to; l = links_of(l)[0])
        if (chunk_size(looking ? chunk_at(l) : probe(chunk_at(l))) >= size) return chunk_at(l);
    return 0;
}
#endif

/* Whether a free chunk other than the top surely holds `size` bytes (segregated: the victim or
 * any chunk of a higher class; the others: any chunk). Reads only. */
static bool index_holds(heap *h, uint32_t size) {
#if TAGALLOC_ALL_POLICIES
    if (!heap_is_segregated(h)) return fit_first(h->bins[0][0], bin_link(h, 0), size, true);
#endif
    if (TAGALLOC_VICTIM && h->victim && chunk_size(chunk_at(h->victim)) >= size) return true;
    /* bin_at_or_above(h, above) != 0 without the bit search: a copy of that inlined function
     * here measured 41 bytes more in the drop-in */
    uint32_t above = bin_of(size) + 1, word = above / 32;
    return above < BIN_COUNT && (h->bitmap[word] >> above % 32 || h->summary >> (word + 1));
}

#if TAGALLOC_ALL_POLICIES

static chunk *fit_next(heap *h, uint32_t size) {
    link end = bin_link(h, 0);
    chunk *c = h->rover ? chunk_at(h->rover) : h->start;
    while (chunk_is_used(c) && !chunk_is_end(c)) c = chunk_next(c); /* first free at the rover */
    link from = chunk_is_end(c) ? end : chunk_link(c);
    chunk *found = fit_first(from, end, size, false);
    return found ? found : fit_first(links_of(end)[0], from, size, false); /* wrap around once */
}

static chunk *fit_best(heap *h, uint32_t size) {
    chunk *best = 0;
    link end = bin_link(h, 0);
    for (link l = links_of(end)[0]; l != end; l = links_of(l)[0]) {
        uint32_t have = chunk_size(probe(chunk_at(l)));
        if (have < size || (best && have >= chunk_size(best))) continue; /* ties: lowest address */
        best = chunk_at(l);
        if (have == size) break; /* nothing fits better */
    }
    return best;
}
#endif

static HOT chunk *index_take(heap *h, uint32_t size, bool whole_class) {
#if TAGALLOC_ALL_POLICIES
    chunk *c;
    switch (h->policy) {
    case TAGALLOC_FIT_FIRST: c = fit_first(h->bins[0][0], bin_link(h, 0), size, false); break;
    case TAGALLOC_FIT_NEXT: c = fit_next(h, size); break;
    case TAGALLOC_FIT_BEST: c = fit_best(h, size); break;
    default: return take_segregated(h, size, whole_class);
    }
    return c ? list_unlink(h, c) : 0;
#else
    return take_segregated(h, size, whole_class);
#endif
}

static void index_rebuild(heap *h) {
    h->victim = 0;
    bins_clear(h);
    __builtin_memset(h->bitmap, 0, sizeof h->bitmap);
    h->summary = 0;
    link tail = bin_link(h, 0); /* address order: the walk is in address order, so append */
    for (chunk *c = h->start; !chunk_is_end(c); c = chunk_next(c)) {
        if (chunk_is_used(c)) continue;
        if (heap_is_segregated(h)) {
            index_insert(h, c);
        } else {
            list_link_after(tail, c);
            tail = chunk_link(c);
        }
    }
}
