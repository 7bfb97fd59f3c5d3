/* The free-chunk index and the four fit policies.
 *
 * Segregated (the default): one list a size class, TLSF style. Below 2^BIN_LINEAR_LOG2 bytes a
 * class is one size; above, each power-of-two range splits into BIN_SUBS classes. A bitmap says
 * which bins are non-empty and a summary word which bitmap words are, so finding the next
 * non-empty bin is two count-trailing-zeros: O(1).
 *
 * First, next and best fit: one list, bins[0], kept in address order, so "lowest address" is
 * "earliest in the list". (bins[0] is never a size class: no chunk is smaller than ALIGN.) */
#include "heap.h"

static link *links_of(link l) { return chunk_links(chunk_at(l)); } /* [0] next, [1] prev */

uint32_t bin_of(uint32_t size) {
    if (size < (1u << BIN_LINEAR_LOG2)) return size / ALIGN;
    uint32_t log = 31 - (uint32_t)__builtin_clz(size);
    uint32_t sub = (size >> (log - BIN_SUB_LOG2)) & (BIN_SUBS - 1);
    return BIN_SUBS + (log - BIN_LINEAR_LOG2) * BIN_SUBS + sub;
}

/* Links c into its list between prev and next (either may be 0). */
static void list_link(link *head, link prev, link next, chunk *c) {
    link self = chunk_link(c);
    chunk_links(c)[0] = next;
    chunk_links(c)[1] = prev;
    if (prev) links_of(prev)[0] = self; else *head = self;
    if (next) links_of(next)[1] = self;
}

/* Segregated keeps two free chunks off the bins. The last chunk, the top, is the last resort,
 * so requests fill holes first and the block below the top can keep growing in place. The
 * victim, the rest of the latest split, is where the next requests are cut from while it fits
 * as well as a bin would: a run of allocations then splits one chunk without touching a bin
 * (dlmalloc's "designated victim"), and a free beside it grows it, again without a bin. */
static bool is_top(const heap *h, chunk *c) {
    return heap_is_segregated(h) && chunk_is_end(chunk_next(c));
}

void index_hold(heap *h, chunk *c) {
    if (!heap_is_segregated(h)) {
        index_insert(h, c);
    } else if (!is_top(h, c)) {
        if (h->victim) index_insert(h, chunk_at(h->victim)); /* the one held before: to its bin */
        h->victim = chunk_link(c);
    }
}

void index_insert(heap *h, chunk *c) {
    if (is_top(h, c)) return;
    if (heap_is_segregated(h)) {
        uint32_t bin = bin_of(chunk_size(c));
        list_link(&h->bins[bin], 0, h->bins[bin], c); /* newest first: LIFO reuse is warm */
        h->bitmap[bin / 32] |= 1u << (bin % 32);
        h->summary |= 1u << (bin / 32);
        return;
    }
    link self = chunk_link(c), prev = 0, next = h->bins[0];
    while (next && next < self) { /* keep address order: first fit's lowest hole comes first */
        prev = next;
        next = links_of(next)[0];
    }
    list_link(&h->bins[0], prev, next, c);
}

/* Unlinks c from its list; `bin` is read only when c heads the list (0: address order). */
static chunk *list_unlink(heap *h, chunk *c, uint32_t bin) {
    link next = chunk_links(c)[0], prev = chunk_links(c)[1];
    if (next) links_of(next)[1] = prev;
    if (prev) { /* not the head: its bin's list and bitmap bit stay as they are */
        links_of(prev)[0] = next;
        return c;
    }
    h->bins[bin] = next;
    if (bin && !next) {
        h->bitmap[bin / 32] &= ~(1u << (bin % 32));
        if (!h->bitmap[bin / 32]) h->summary &= ~(1u << (bin / 32));
    }
    return c;
}

void index_remove(heap *h, chunk *c) {
    if (h->victim == chunk_link(c)) {
        h->victim = 0;
        return;
    }
    if (is_top(h, c)) return;
    bool head = !chunk_links(c)[1];
    list_unlink(h, c, head && heap_is_segregated(h) ? bin_of(chunk_size(c)) : 0);
}

/* The first non-empty bin at or above `bin`, or 0 for none. */
static uint32_t bin_at_or_above(const heap *h, uint32_t bin) {
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

static chunk *take_segregated(heap *h, uint32_t size) {
    uint32_t bin = 0;
    link l = 0;
    if (h->summary || h->victim) { /* else no hole: a heap used like a stack takes the top */
        bin = bin_of(size);
        l = h->bins[bin];
        while (l && chunk_size(probe(chunk_at(l))) < size) l = links_of(l)[0]; /* own class */
        if (!l) {
            bin = bin_at_or_above(h, bin + 1); /* any chunk in a higher class fits */
            chunk *victim = h->victim ? probe(chunk_at(h->victim)) : 0; /* first of its class */
            uint32_t have = victim ? chunk_size(victim) : 0;
            if (have >= size && (!bin || bin_of(have) <= bin)) {
                h->victim = 0;
                return victim;
            }
            if (bin) probe(chunk_at(l = h->bins[bin]));
        }
    }
    if (l) return list_unlink(h, chunk_at(l), bin);
    chunk *top = chunk_is_prev_used(h->end) ? 0 : chunk_prev(h->end); /* the last resort, */
    return top && chunk_size(probe(top)) >= size ? top : 0;              /* never on a list */
}

#if TAGALLOC_ALL_POLICIES
static chunk *fit_first(link from, link to, uint32_t size) {
    for (link l = from; l && l != to; l = links_of(l)[0])
        if (chunk_size(probe(chunk_at(l))) >= size) return chunk_at(l);
    return 0;
}

static chunk *fit_next(heap *h, uint32_t size) {
    chunk *c = h->rover ? chunk_at(h->rover) : h->start;
    while (chunk_is_used(c) && !chunk_is_end(c)) c = chunk_next(c); /* first free at the rover */
    link from = chunk_is_end(c) ? 0 : chunk_link(c);
    chunk *found = fit_first(from, 0, size);
    return found ? found : fit_first(h->bins[0], from, size); /* wrap around once */
}

static chunk *fit_best(heap *h, uint32_t size) {
    chunk *best = 0;
    for (link l = h->bins[0]; l; l = links_of(l)[0]) {
        uint32_t have = chunk_size(probe(chunk_at(l)));
        if (have < size || (best && have >= chunk_size(best))) continue; /* ties: lowest address */
        best = chunk_at(l);
        if (have == size) break; /* nothing fits better */
    }
    return best;
}
#endif

chunk *index_take(heap *h, uint32_t size) {
#if TAGALLOC_ALL_POLICIES
    chunk *c;
    switch (h->policy) {
    case TAGALLOC_FIT_FIRST: c = fit_first(h->bins[0], 0, size); break;
    case TAGALLOC_FIT_NEXT: c = fit_next(h, size); break;
    case TAGALLOC_FIT_BEST: c = fit_best(h, size); break;
    default: return take_segregated(h, size);
    }
    return c ? list_unlink(h, c, 0) : 0;
#else
    return take_segregated(h, size);
#endif
}

void index_rebuild(heap *h) {
    h->victim = 0;
    __builtin_memset(h->bins, 0, sizeof h->bins);
    __builtin_memset(h->bitmap, 0, sizeof h->bitmap);
    h->summary = 0;
    link tail = 0; /* address order: the walk is in address order, so append */
    for (chunk *c = h->start; !chunk_is_end(c); c = chunk_next(c)) {
        if (chunk_is_used(c)) continue;
        if (heap_is_segregated(h)) {
            index_insert(h, c);
        } else {
            list_link(&h->bins[0], tail, 0, c);
            tail = chunk_link(c);
        }
    }
}
