/* Introspection of the free index for the demo page: its lists as they stand, in list order.
 * Reads only, like check.c. Compiled into the standalone module only (build.sh's MODULE build):
 * the drop-in libraries and native builds leave it out. */
#include "heap.h"

/* Not in tagalloc.h: the module's JavaScript (wasm/index.js) is this API's only caller, and the
 * drop-ins (and so lock.c's list of calls to lock) do not have it. */
/* One chunk on the free index (the standalone module's tagalloc_index_walk_from). */
typedef struct tagalloc_index_entry {
    uint32_t list;      /* its bin: a size class (segregated), 0 for the address-ordered list;
                         * or TAGALLOC_INDEX_VICTIM, TAGALLOC_INDEX_TOP (held off the bins) */
    uint32_t low, high; /* the chunk sizes the list holds, bytes (the victim's and top's: their
                         * size's class) */
    uint32_t marked;    /* the list's bitmap bit (segregated): 1 iff the bin is non-empty */
    uintptr_t payload;
    uint32_t size;      /* the whole chunk, tags included, bytes */
} tagalloc_index_entry;
#define TAGALLOC_INDEX_VICTIM 0xfffffffeu
#define TAGALLOC_INDEX_TOP 0xffffffffu

/* Fills out[0..max) with the free index's entries from the skip-th on: each non-empty list by
 * bin, its chunks in list order (newest first in a class; address order otherwise), then the
 * victim and the top; returns how many entries there are in all. Writes nothing to the heap.
 * Cost: O(chunks). Only the standalone module (wasm/tagalloc.wasm) has it. */
size_t tagalloc_index_walk_from(size_t skip, tagalloc_index_entry *out, size_t max);

/* The list a malloc(request) searches first: returns its bin (0 under the list policies) and
 * sets range[0], range[1] to the chunk sizes it holds, bytes. Standalone module only. */
uint32_t tagalloc_size_class(size_t request, uint32_t *range);


/* The smallest chunk size of a size class below BIN_COUNT (bin_of's inverse). */
static uint32_t bin_low(uint32_t bin) {
    if (bin < BIN_EXACT) return bin * ALIGN;
    uint32_t above = bin - BIN_EXACT, log = BIN_EXACT_LOG2 + above / BIN_SUBS;
    return (1u << log) + ((above % BIN_SUBS) << (log - BIN_SUB_LOG2));
}

/* A list's sizes: a class's, or (address order) every chunk size. */
static void list_range(const heap *h, uint32_t bin, uint32_t *low, uint32_t *high) {
    bool segregated = heap_is_segregated(h);
    *low = segregated ? bin_low(bin) : CHUNK_MIN;
    *high = segregated && bin + 1 < BIN_COUNT ? bin_low(bin + 1) - ALIGN : CHUNK_SIZE_MAX;
}

/* Writes entry n (when it is in [skip, skip + max)) and counts it. */
static void entry_put(const heap *h, tagalloc_index_entry *out, size_t skip, size_t max,
                      size_t *n, uint32_t list, uint32_t bin, chunk *c) {
    size_t at = (*n)++;
    if (at < skip || at - skip >= max) return;
    tagalloc_index_entry e = {.list = list, .payload = (uintptr_t)chunk_payload(c),
                              .size = chunk_size(c)};
    list_range(h, bin, &e.low, &e.high);
    e.marked = h->bitmap[bin / 32] >> (bin % 32) & 1;
    out[at - skip] = e;
}

TAGALLOC_EXPORT(tagalloc_index_walk_from)
size_t tagalloc_index_walk_from(size_t skip, tagalloc_index_entry *out, size_t max) {
    const heap *h = &the_heap;
    size_t n = 0;
    if (!h->start) return 0;
    uint32_t most = (uint32_t)(h->end - h->start) / CHUNK_MIN; /* a broken link cannot loop */
    for (uint32_t bin = 0; bin < BIN_COUNT; bin++) {
        link end = bin_link(h, bin);
        uint32_t left = most;
        for (link l = h->bins[bin][0]; l && l != end && left--; l = chunk_links(chunk_at(l))[0])
            entry_put(h, out, skip, max, &n, bin, bin, chunk_at(l));
    }
    if (TAGALLOC_VICTIM && h->victim) {
        chunk *v = chunk_at(h->victim);
        entry_put(h, out, skip, max, &n, TAGALLOC_INDEX_VICTIM, bin_of(chunk_size(v)), v);
    }
    if (heap_is_segregated(h) && h->top)
        entry_put(h, out, skip, max, &n, TAGALLOC_INDEX_TOP, bin_of(chunk_size(h->top)), h->top);
    return n;
}

TAGALLOC_EXPORT(tagalloc_size_class)
uint32_t tagalloc_size_class(size_t request, uint32_t *range) {
    const heap *h = &the_heap;
    uint32_t size = request > REQUEST_MAX ? CHUNK_SIZE_MAX : chunk_size_for(request);
    uint32_t bin = heap_is_segregated(h) ? bin_of(size) : 0;
    list_range(h, bin, &range[0], &range[1]);
    return bin;
}
