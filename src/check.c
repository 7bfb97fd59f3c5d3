/* Introspection: the one checker of heap.h's invariants, the walk and the stats. Reads only:
 * nothing here writes to the heap. Every step stays inside the heap even when tags or links
 * are broken, so the checker reports corruption instead of crashing on it. */
#include "heap.h"

static uintptr_t check_where;

static int broke(int invariant, chunk *c) {
    check_where = c ? (uintptr_t)chunk_payload(c) : 0;
    return invariant;
}

/* c's size is a chunk's and stays inside the heap: walks over overwritten tags stop here. */
static bool chunk_fits(const heap *h, chunk *c) {
    return chunk_size(c) >= CHUNK_MIN && chunk_size(c) <= (uint32_t)(h->end - c);
}

/* A link that names a place inside the heap where a chunk could start. */
static bool link_in_heap(const heap *h, link l) {
    chunk *c = chunk_at(l);
    return l && c >= h->start && c + CHUNK_MIN <= h->end &&
           ((uintptr_t)c + TAG_BYTES) % ALIGN == 0;
}

/* I4 for one list: links agree both ways, nodes are free chunks of the right class (or in
 * address order), and the list comes back to its sentinel. Adds its length to *nodes. */
static int check_list(heap *h, uint32_t bin, uint32_t free_chunks, uint32_t *nodes) {
    link end = bin_link(h, bin), prev = end, l = h->bins[bin][0];
    for (; l != end; prev = l, l = chunk_links(chunk_at(l))[0]) {
        if (!link_in_heap(h, l) || ++*nodes > free_chunks) return broke(TAGALLOC_CHECK_I4, 0);
        chunk *c = chunk_at(l);
        if (!chunk_fits(h, c)) return broke(TAGALLOC_CHECK_I4, c); /* before chunk_next(c) */
        bool placed = heap_is_segregated(h)
                          ? bin_of(chunk_size(c)) == bin && !chunk_is_end(chunk_next(c))
                          : bin == 0 && (prev == end || prev < l);
        if (chunk_is_used(c) || chunk_links(c)[1] != prev || !placed || l == h->victim)
            return broke(TAGALLOC_CHECK_I4, c);
    }
    return h->bins[bin][1] == prev ? TAGALLOC_CHECK_OK : broke(TAGALLOC_CHECK_I4, 0);
}

TAGALLOC_EXPORT(tagalloc_check) int tagalloc_check(void) {
    heap *h = &the_heap;
    check_where = 0;
    if (!h->start) return TAGALLOC_CHECK_OK;
    uint32_t free_chunks = 0, in_use = 0, quick = 0;
    bool prev_used = true, rover_seen = h->rover == 0, victim_seen = h->victim == 0;
    chunk *c = h->start, *last = 0;
    for (; c < h->end; c = chunk_next(c)) {
        uint32_t size = chunk_size(c);
        if (size < CHUNK_MIN) return broke(TAGALLOC_CHECK_I1, c);
        if (size > (uint32_t)(h->end - c)) return broke(TAGALLOC_CHECK_I2, c);
        if (chunk_is_prev_used(c) != prev_used) return broke(TAGALLOC_CHECK_I5, c);
        if (TAGALLOC_QUICK && *chunk_head(c) & TAG_QUICK) {
            if (!chunk_is_used(c) || size >= QUICK_BYTES) return broke(TAGALLOC_CHECK_I7, c);
            quick++;
        } else if (chunk_is_used(c)) {
            in_use += size;
        } else {
            if (*chunk_foot(c) != size) return broke(TAGALLOC_CHECK_I1, c);
            if (!prev_used && h->coalescing == TAGALLOC_COALESCE_IMMEDIATE)
                return broke(TAGALLOC_CHECK_I3, c);
            free_chunks++;
        }
        rover_seen |= h->rover == chunk_link(c);
        victim_seen |= h->victim == chunk_link(c) && !chunk_is_used(c) && /* free, not the top */
                       !chunk_is_end(chunk_next(c));
        prev_used = chunk_is_used(c);
        last = c;
    }
    if (c != h->end || (*chunk_head(c) & ~TAG_PREV_USED) != TAG_USED)
        return broke(TAGALLOC_CHECK_I2, c == h->end ? c : 0);
    if (chunk_is_prev_used(c) != prev_used) return broke(TAGALLOC_CHECK_I5, c);
    if (!rover_seen && h->rover != chunk_link(h->end)) return broke(TAGALLOC_CHECK_I6, 0);
    if (h->top != (prev_used ? 0 : last)) return broke(TAGALLOC_CHECK_I6, last);
    if (TAGALLOC_QUICK && quick != h->quick_count && !(h->quick_count & QUICK_FLUSHING))
        return broke(TAGALLOC_CHECK_I7, 0); /* while quick_flush runs, the lists alone say how
                                             * many are left */
    if (in_use != h->in_use) return broke(TAGALLOC_CHECK_I6, 0);
    if (!victim_seen) return broke(TAGALLOC_CHECK_I4, 0);
#if TAGALLOC_QUICK
    for (uint32_t bin = 0; bin < QUICK_BYTES / ALIGN; bin++) { /* each quick chunk once, on
                                                                 * its size's list */
        for (link l = h->quick[bin]; l; l = chunk_links(chunk_at(l))[0]) {
            chunk *q = chunk_at(l);
            if (!link_in_heap(h, l) || !quick-- || (*chunk_head(q) & TAG_QUICK) == 0 ||
                chunk_size(q) != bin * ALIGN)
                return broke(TAGALLOC_CHECK_I7, link_in_heap(h, l) ? q : 0);
        }
    }
    if (quick) return broke(TAGALLOC_CHECK_I7, 0); /* a quick chunk on no list */
#endif

    uint32_t nodes = 0;
    for (uint32_t bin = 0; bin < BIN_COUNT; bin++) {
        uint32_t before = nodes;
        int broken = check_list(h, bin, free_chunks, &nodes);
        if (broken) return broken;
        bool marked = h->bitmap[bin / 32] >> (bin % 32) & 1;
        if (marked != (heap_is_segregated(h) && nodes != before))
            return broke(TAGALLOC_CHECK_I4, 0);
    }
    for (uint32_t word = 0; word < BIN_WORDS; word++)
        if ((h->summary >> word & 1) != (h->bitmap[word] != 0)) return broke(TAGALLOC_CHECK_I4, 0);
    bool top_free = h->top && heap_is_segregated(h);
    if (nodes != free_chunks - top_free - (h->victim != 0)) return broke(TAGALLOC_CHECK_I4, 0);
    return TAGALLOC_CHECK_OK;
}

TAGALLOC_EXPORT(tagalloc_check_where) uintptr_t tagalloc_check_where(void) { return check_where; }

TAGALLOC_EXPORT(tagalloc_walk_from)
size_t tagalloc_walk_from(uintptr_t payload, tagalloc_chunk *out, size_t max) {
    const heap *h = &the_heap;
    if (!h->start) return 0;
    chunk *c = payload ? chunk_from_payload((void *)payload) : h->start;
    if (payload) { /* only a chunk's payload starts a walk */
        chunk *at = h->start;
        while (at < c && chunk_fits(h, at)) at = chunk_next(at);
        if (at != c || c == h->end) return 0;
    }
    size_t count = 0;
    for (; c < h->end && chunk_fits(h, c); c = chunk_next(c), count++) {
        if (count < max) {
            out[count].payload = (uintptr_t)chunk_payload(c);
            out[count].size = chunk_size(c);
            out[count].used = chunk_is_held(c);
        }
    }
    return count;
}

TAGALLOC_EXPORT(tagalloc_walk) size_t tagalloc_walk(tagalloc_chunk *out, size_t max) {
    return tagalloc_walk_from(0, out, max);
}

TAGALLOC_EXPORT(tagalloc_get_stats) void tagalloc_get_stats(tagalloc_stats *out) {
    const heap *h = &the_heap;
    tagalloc_stats stats = {
        .in_use = h->in_use,
        .peak_heap = h->peak_heap,
        .peak_in_use = h->peak_in_use,
        .bad_frees = h->bad_frees,
        .heap_start = (uintptr_t)h->start,
    };
    if (h->start) {
        stats.heap_size = (size_t)(h->end + TAG_BYTES - h->start);
        for (chunk *c = h->start; c < h->end && chunk_fits(h, c); c = chunk_next(c)) {
            if (chunk_is_held(c)) continue;
            stats.free += chunk_size(c);
            stats.free_chunks++;
            if (chunk_size(c) > stats.largest_free) stats.largest_free = chunk_size(c);
        }
    }
    *out = stats;
}
